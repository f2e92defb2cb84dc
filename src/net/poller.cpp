#include "net/poller.hpp"

#include <cerrno>

#include "net/net_error.hpp"
#include "util/error.hpp"

namespace cryptochat::net {

namespace {
constexpr std::size_t kMaxEventsPerWait = 256;
}  // namespace

Poller::Poller() : epoll_(::epoll_create1(EPOLL_CLOEXEC)), ready_(kMaxEventsPerWait) {
  if (!epoll_) {
    throw NetError("cannot create an epoll instance: " + errno_text(errno));
  }
}

bool Poller::add(int fd, std::uint32_t events, std::uint64_t token) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = token;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) == 0) {
    return true;
  }
  if (errno == EPERM) {
    return false;
  }
  throw NetError("cannot watch a descriptor: " + errno_text(errno));
}

void Poller::modify(int fd, std::uint32_t events, std::uint64_t token) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = token;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) != 0) {
    throw NetError("cannot watch a descriptor: " + errno_text(errno));
  }
}

void Poller::remove(int fd) noexcept {
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

std::span<const epoll_event> Poller::wait(int timeout_ms) {
  const int n =
      ::epoll_wait(epoll_.get(), ready_.data(), static_cast<int>(ready_.size()), timeout_ms);
  if (n < 0) {
    if (errno == EINTR) {
      return {};
    }
    throw NetError("epoll_wait failed: " + errno_text(errno));
  }
  return {ready_.data(), static_cast<std::size_t>(n)};
}

}  // namespace cryptochat::net
