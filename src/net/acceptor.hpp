// The one accept path of every server: takes what the listener has, a bounded batch per turn
// so that a flood of connections cannot starve the peers already there, and rests a second
// when accepting itself fails (out of descriptors) instead of spinning on it.
#pragma once

#include <functional>
#include <optional>

#include "net/event_loop.hpp"
#include "net/listener.hpp"
#include "net/socket.hpp"
#include "util/console.hpp"

namespace cryptochat::net {

class Acceptor {
 public:
  using OnSocket = std::function<void(Socket)>;
  Acceptor(EventLoop& loop, Listener& listener, OnSocket on_socket, const Console& console);
  // No more accepting (the server is ending, or has its one peer): new connections wait in the
  // kernel's queue.
  void stop();

 private:
  void accept_ready();

  Listener& listener_;
  OnSocket on_socket_;
  const Console& console_;
  std::optional<Clock::time_point> paused_until_;
  EventLoop::Watch watch_;
  EventLoop::Watch resume_;
};

}  // namespace cryptochat::net
