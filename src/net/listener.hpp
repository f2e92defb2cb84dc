// A listening TCP socket (IPv4 and IPv6) that hands out connected Sockets. Failures throw
// NetError, except would-block on a nonblocking listener, which is a return value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "net/socket.hpp"
#include "util/unique_fd.hpp"

namespace cryptochat::net {

class Listener {
 public:
  // With no bind address: every IPv4 and IPv6 address (one dual-stack socket, or IPv4 only
  // where the kernel has no IPv6). Otherwise an IPv4 or IPv6 literal, brackets allowed, or a
  // host name. Port 0 picks a free port (see port()). Throws NetError.
  static Listener open(const std::optional<std::string>& bind_addr, std::uint16_t port);

  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  Listener(Listener&&) noexcept = default;
  Listener& operator=(Listener&&) noexcept = default;
  ~Listener() = default;

  [[nodiscard]] int fd() const noexcept { return fd_.get(); }
  // The port actually bound.
  [[nodiscard]] std::uint16_t port() const;
  // The bound address as "[::]:5000" or "127.0.0.1:5000".
  [[nodiscard]] std::string local_name() const;

  // The next connection, in blocking mode. nullopt when none is ready on a nonblocking
  // listener, when a signal interrupted the wait, or when the connection died before it was
  // taken (the caller just tries again). Throws NetError when accepting itself fails (EMFILE).
  std::optional<Socket> accept();

  void set_nonblocking(bool on);

 private:
  explicit Listener(UniqueFd fd) noexcept : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace cryptochat::net
