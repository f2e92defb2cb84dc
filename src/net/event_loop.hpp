// The one event loop every part of the program runs on: the listener, the handshakes, a room's
// participants, a one-to-one session, the standard input, the stop signal and the worker pool's
// notices. epoll, level-triggered; a part registers a descriptor with the events it wants and a
// handler, and may ask for a turn of its own every time round (mosh's tick/wait_time): its
// bookkeeping, and when it next needs the loop to wake up.
#pragma once

#include <sys/epoll.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <vector>

#include "util/unique_fd.hpp"

namespace cryptochat::net {

using Clock = std::chrono::steady_clock;

// Milliseconds from now until deadline, for a wait: at least 0, and -1 for no deadline.
int wait_ms(std::optional<Clock::time_point> deadline);

class EventLoop {
 public:
  // Runs with the events that occurred (EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLERR).
  using Handler = std::function<void(std::uint32_t events)>;
  // Runs once every turn before the loop waits; returns when it next needs a turn even if none
  // of its descriptors is ready (nullopt: only then).
  using Tick = std::function<std::optional<Clock::time_point>()>;

  // What registration returns: the descriptor (or tick) is unregistered when it is destroyed.
  class Watch {
   public:
    Watch() = default;
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;
    Watch(Watch&& other) noexcept;
    Watch& operator=(Watch&& other) noexcept;
    ~Watch() { reset(); }

    // The events wanted from now on; 0 leaves the descriptor registered but quiet. Asking for
    // what is already set costs nothing (a room sets each member's every turn).
    void set_events(std::uint32_t events);
    [[nodiscard]] std::uint32_t events() const { return events_; }
    [[nodiscard]] bool active() const { return loop_ != nullptr; }
    void reset() noexcept;
    // For a descriptor that was closed already (the kernel dropped its registration): ends
    // the Watch without asking epoll about a number that may belong to another descriptor now.
    void forget_closed() noexcept;

   private:
    friend class EventLoop;
    Watch(EventLoop* loop, std::uint64_t token, std::uint32_t events)
        : loop_(loop), token_(token), events_(events) {}
    EventLoop* loop_ = nullptr;
    std::uint64_t token_ = 0;
    std::uint32_t events_ = 0;
  };

  EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  EventLoop(EventLoop&&) = delete;
  EventLoop& operator=(EventLoop&&) = delete;
  ~EventLoop();

  // Registers fd. A descriptor epoll cannot watch (a regular file, /dev/null) is always ready:
  // while it wants EPOLLIN the loop does not sleep and calls its handler every turn. The
  // descriptor must stay open until the Watch ends (declare the Watch after what owns the
  // descriptor): closing it first could leave the registration to a descriptor of the same
  // number opened later.
  [[nodiscard]] Watch watch(int fd, std::uint32_t events, Handler handler);
  [[nodiscard]] Watch every_turn(Tick tick);

  // Turns until finished() is true, asked after the ticks of each turn (and so after the
  // handlers of the turn before). What a handler or tick throws ends the run and is thrown on.
  void run_until(const std::function<bool()>& finished);
  // One turn: the ticks, a wait of at most until `wake` (and what the ticks ask), the handlers.
  void turn(std::optional<Clock::time_point> wake = std::nullopt);

 private:
  struct Entry {
    int fd = -1;  // -1: a tick
    std::uint32_t events = 0;
    bool always_ready = false;  // not pollable: see watch()
    bool removed = false;
    Handler handler;
    Tick tick;
  };
  void set_events(std::uint64_t token, std::uint32_t events);
  void remove(std::uint64_t token, bool still_open) noexcept;
  static void dispatch(Entry& entry, std::uint32_t events);
  void erase_removed();
  std::optional<Clock::time_point> ticks();
  void wait_and_dispatch(std::optional<Clock::time_point> wake);
  struct Running;  // marks the time handlers and ticks run (see running_)

  UniqueFd epoll_;
  std::vector<epoll_event> ready_;
  std::uint64_t next_token_ = 1;  // never reused
  std::unordered_map<std::uint64_t, Entry> entries_;
  std::vector<std::uint64_t> always_ready_;
  std::vector<std::uint64_t> ticks_;
  // While a handler or tick runs, entries removed are only marked, and erased afterwards: a
  // handler may end its own registration, or another's whose event is still to come.
  int running_ = 0;
  std::vector<std::uint64_t> removed_;
};

}  // namespace cryptochat::net
