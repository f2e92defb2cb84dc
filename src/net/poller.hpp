// epoll, level-triggered, as a small value-owning wrapper: each descriptor is registered with
// the events wanted and a 64-bit token the caller uses to find what the descriptor belongs to.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <span>
#include <vector>

#include "util/unique_fd.hpp"

namespace cryptochat::net {

class Poller {
 public:
  Poller();

  // False when the descriptor cannot be polled (a regular file or /dev/null: always ready).
  // Throws NetError on any other failure.
  bool add(int fd, std::uint32_t events, std::uint64_t token);
  void modify(int fd, std::uint32_t events, std::uint64_t token);
  void remove(int fd) noexcept;

  // Waits up to timeout_ms (-1: no limit) and returns the ready descriptors' events, valid
  // until the next wait(). EINTR returns an empty list.
  std::span<const epoll_event> wait(int timeout_ms);

 private:
  UniqueFd epoll_;
  std::vector<epoll_event> ready_;
};

}  // namespace cryptochat::net
