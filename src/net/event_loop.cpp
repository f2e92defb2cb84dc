#include "net/event_loop.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>

#include "net/net_error.hpp"
#include "util/error.hpp"

namespace cryptochat::net {

namespace {
constexpr std::size_t kMaxEventsPerWait = 256;
}  // namespace

int wait_ms(std::optional<Clock::time_point> deadline) {
  if (!deadline) {
    return -1;
  }
  // Rounded up: a wait that ends a little before the deadline would only wait again.
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
  return static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(left.count(), 0, INT_MAX));
}

EventLoop::Watch::Watch(Watch&& other) noexcept
    : loop_(other.loop_), token_(other.token_), events_(other.events_) {
  other.loop_ = nullptr;
  other.events_ = 0;
}

EventLoop::Watch& EventLoop::Watch::operator=(Watch&& other) noexcept {
  if (this != &other) {
    reset();
    loop_ = other.loop_;
    token_ = other.token_;
    events_ = other.events_;
    other.loop_ = nullptr;
    other.events_ = 0;
  }
  return *this;
}

void EventLoop::Watch::set_events(std::uint32_t events) {
  if (loop_ != nullptr && events != events_) {
    loop_->set_events(token_, events);
    events_ = events;
  }
}

void EventLoop::Watch::reset() noexcept {
  if (loop_ != nullptr) {
    loop_->remove(token_, true);
    loop_ = nullptr;
    events_ = 0;
  }
}

void EventLoop::Watch::forget_closed() noexcept {
  if (loop_ != nullptr) {
    loop_->remove(token_, false);
    loop_ = nullptr;
    events_ = 0;
  }
}

EventLoop::EventLoop() : epoll_(::epoll_create1(EPOLL_CLOEXEC)), ready_(kMaxEventsPerWait) {
  if (!epoll_) {
    throw NetError("cannot create an epoll instance: " + errno_text(errno));
  }
}

EventLoop::~EventLoop() = default;

EventLoop::Watch EventLoop::watch(int fd, std::uint32_t events, Handler handler) {
  const std::uint64_t token = next_token_++;
  // The entry is made first: epoll's data is its address (an unordered_map's elements stay
  // where they are), so an event finds its handler without a lookup.
  Entry& entry = entries_[token];
  entry.fd = fd;
  entry.events = events;
  entry.handler = std::move(handler);
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = &entry;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    const int err = errno;
    if (err != EPERM) {
      entries_.erase(token);
      throw NetError("cannot watch a descriptor: " + errno_text(err));
    }
    entry.always_ready = true;
    always_ready_.push_back(token);
  }
  return {this, token, events};
}

EventLoop::Watch EventLoop::every_turn(Tick tick) {
  const std::uint64_t token = next_token_++;
  Entry entry;
  entry.tick = std::move(tick);
  entries_.emplace(token, std::move(entry));
  ticks_.push_back(token);
  return {this, token, 0};
}

void EventLoop::set_events(std::uint64_t token, std::uint32_t events) {
  const auto it = entries_.find(token);
  if (it == entries_.end() || it->second.removed || it->second.events == events) {
    return;
  }
  Entry& entry = it->second;
  entry.events = events;
  if (entry.always_ready || entry.fd < 0) {
    return;
  }
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = &entry;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, entry.fd, &ev) != 0) {
    throw NetError("cannot watch a descriptor: " + errno_text(errno));
  }
}

void EventLoop::remove(std::uint64_t token, bool still_open) noexcept {
  const auto it = entries_.find(token);
  if (it == entries_.end() || it->second.removed) {
    return;
  }
  Entry& entry = it->second;
  if (entry.fd >= 0 && !entry.always_ready && still_open) {
    // Removed now, even while handlers run: the descriptor may be closed right after.
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, entry.fd, nullptr);
  }
  entry.removed = true;
  removed_.push_back(token);
  if (running_ == 0) {
    erase_removed();
  }
}

void EventLoop::erase_removed() {
  for (const auto token : removed_) {
    const auto it = entries_.find(token);
    if (it == entries_.end()) {
      continue;
    }
    if (it->second.always_ready) {
      std::erase(always_ready_, token);
    }
    if (it->second.fd < 0) {
      std::erase(ticks_, token);
    }
    entries_.erase(it);
  }
  removed_.clear();
}

void EventLoop::dispatch(Entry& entry, std::uint32_t events) {
  // An entry removed by an earlier handler of this turn is only marked (see running_): still
  // there, and skipped.
  if (!entry.removed) {
    entry.handler(events);
  }
}

struct EventLoop::Running {
  EventLoop& loop;
  explicit Running(EventLoop& l) : loop(l) { ++loop.running_; }
  Running(const Running&) = delete;
  Running& operator=(const Running&) = delete;
  Running(Running&&) = delete;
  Running& operator=(Running&&) = delete;
  ~Running() {
    if (--loop.running_ == 0) {
      loop.erase_removed();
    }
  }
};

void EventLoop::wait_and_dispatch(std::optional<Clock::time_point> wake) {
  const Running running(*this);
  bool ready_now = false;
  for (const auto token : always_ready_) {
    const Entry& entry = entries_.at(token);
    ready_now = ready_now || (!entry.removed && (entry.events & EPOLLIN) != 0);
  }
  const int n = ::epoll_wait(epoll_.get(), ready_.data(), static_cast<int>(ready_.size()),
                             ready_now ? 0 : wait_ms(wake));
  if (n < 0 && errno != EINTR) {
    throw NetError("epoll_wait failed: " + errno_text(errno));
  }
  for (int i = 0; i < n; ++i) {
    const epoll_event& ready = ready_[static_cast<std::size_t>(i)];
    dispatch(*static_cast<Entry*>(ready.data.ptr), ready.events);
  }
  if (ready_now) {
    const std::vector<std::uint64_t> tokens = always_ready_;
    for (const auto token : tokens) {
      const auto it = entries_.find(token);
      if (it != entries_.end() && (it->second.events & EPOLLIN) != 0) {
        dispatch(it->second, EPOLLIN);
      }
    }
  }
}

std::optional<Clock::time_point> EventLoop::ticks() {
  const Running running(*this);
  std::optional<Clock::time_point> wake;
  // By index: a tick may register another (it runs from the next turn on).
  const std::size_t count = ticks_.size();
  for (std::size_t i = 0; i < count; ++i) {
    const auto it = entries_.find(ticks_[i]);
    if (it == entries_.end() || it->second.removed) {
      continue;
    }
    if (const auto next = it->second.tick(); next && (!wake || *next < *wake)) {
      wake = next;
    }
  }
  return wake;
}

void EventLoop::turn(std::optional<Clock::time_point> wake) {
  if (const auto asked = ticks(); asked && (!wake || *asked < *wake)) {
    wake = asked;
  }
  wait_and_dispatch(wake);
}

void EventLoop::run_until(const std::function<bool()>& finished) {
  while (true) {
    const auto wake = ticks();
    if (finished()) {
      return;
    }
    wait_and_dispatch(wake);
  }
}

}  // namespace cryptochat::net
