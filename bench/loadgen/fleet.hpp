// All the clients on one event loop (net::EventLoop, the one the program itself runs on) in one
// thread, so that N sessions cost one process and the
// arrival times they record come from one clock. Phases are run one after another by main:
// establish everyone (a bounded number of handshakes at once), let the loop run while lines go
// around, then close everyone.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client.hpp"
#include "net/address.hpp"
#include "net/event_loop.hpp"

namespace cryptochat::loadgen {

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
};

// The first address HOST:PORT resolves to; throws NetError.
Address resolve(const net::HostPort& target);

class Fleet {
 public:
  // The clients are named "load-0".."load-<count-1>".
  Fleet(std::size_t count, ClientSetup setup, Address server);
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;
  Fleet(Fleet&&) = delete;
  Fleet& operator=(Fleet&&) = delete;
  ~Fleet() = default;

  [[nodiscard]] std::size_t size() const { return clients_.size(); }
  Client& operator[](std::size_t i) { return clients_[i]; }
  [[nodiscard]] std::size_t count(Phase phase) const;
  // The clients that failed (or were ended by the server), grouped by reason.
  [[nodiscard]] std::vector<std::string> failures() const;

  // Connects every client, with at most `concurrency` of them in the server's handshake stage
  // at once, until each is established or failed. At the deadline the rest are abandoned.
  void establish_all(std::size_t concurrency, Clock::time_point deadline);
  // Runs the loop until done() holds (true) or the deadline passes (false).
  bool run_until(const std::function<bool()>& done, Clock::time_point deadline);
  // Every established client leaves; waits for each close to finish, up to the deadline.
  void close_all(Clock::time_point deadline);

  // After the caller made a client send: its socket may now want EPOLLOUT.
  void refresh(std::size_t i);

 private:
  void poll_once(Clock::time_point deadline);
  void after_event(std::size_t i);
  void confirm_joined(std::string_view name);
  void release(std::size_t i);

  void on_ready(std::size_t i, std::uint32_t events);

  ClientSetup setup_;  // the clients refer to this copy
  net::EventLoop loop_;
  Address server_;
  std::deque<Client> clients_;  // never moved: each is registered with the loop by index
  std::vector<int> watched_fd_;
  std::vector<net::EventLoop::Watch> watches_;

  // Handshake slots. A client's handshake ends for the server only once it has checked the
  // client's FINISHED and put it in the room, which can be long after the client is done (the
  // server's RSA queue). So a slot is held until another client hears the "joined" event, or
  // for kConfirmWait at most (nobody hears about the first client into an empty room).
  std::vector<char> holds_slot_;
  std::size_t slots_taken_ = 0;
  std::deque<std::pair<Clock::time_point, std::size_t>> unconfirmed_;
  std::size_t pending_ = 0;  // clients connecting or handshaking
};

}  // namespace cryptochat::loadgen
