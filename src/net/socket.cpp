#include "net/socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include <array>
#include <cerrno>
#include <cstring>

#include "net/net_error.hpp"
#include "net/sockaddr.hpp"
#include "util/error.hpp"

namespace cryptochat::net {

namespace {

// Would-block is normalised to EAGAIN so callers test one value.
bool would_block(int err) {
  return err == EAGAIN || err == EWOULDBLOCK;
}

[[noreturn]] void throw_lost(int err) {
  if (err == ECONNRESET || err == EPIPE) {
    throw ConnectionReset(fmt::format("connection lost: {}", errno_text(err)));
  }
  throw NetError(fmt::format("connection lost: {}", errno_text(err)));
}

// Runs one read or send: again on EINTR, -1 with errno EAGAIN when it would block, and a
// NetError for a connection that failed.
template <typename Io>
ssize_t retry_io(Io io) {
  while (true) {
    const ssize_t n = io();
    if (n >= 0) {
      return n;
    }
    const int err = errno;
    if (err == EINTR) {
      continue;
    }
    if (would_block(err)) {
      errno = EAGAIN;
      return -1;
    }
    throw_lost(err);
  }
}

}  // namespace

ssize_t Socket::read_some(std::span<std::uint8_t> buf) {
  return retry_io([&] {
    const ssize_t n = ::read(fd_.get(), buf.data(), buf.size());
    if (n < 0 && errno == ECONNRESET) {
      return ssize_t{0};  // a reset ends the stream as a FIN does (PROTOCOL.md section 6)
    }
    return n;
  });
}

ssize_t Socket::write_some(std::span<const std::uint8_t> data) {
  // MSG_NOSIGNAL: a peer that went away is reported as EPIPE here instead of killing the
  // process with SIGPIPE.
  return retry_io([&] { return ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL); });
}

void Socket::shutdown_write() {
  // ENOTCONN: the connection is already gone, so there is nothing left to end.
  if (::shutdown(fd_.get(), SHUT_WR) != 0 && errno != ENOTCONN) {
    throw_lost(errno);
  }
}

void Socket::set_nonblocking(bool on) {
  detail::set_fd_nonblocking(fd_.get(), on);
}

void Socket::set_nodelay(bool on) {
  const int value = on ? 1 : 0;
  if (::setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &value, sizeof value) != 0) {
    const int err = errno;
    // Unix-domain sockets (socketpairs in tests) have no Nagle algorithm to switch.
    if (err == EOPNOTSUPP || err == ENOPROTOOPT) {
      return;
    }
    throw NetError(fmt::format("cannot set TCP_NODELAY: {}", errno_text(err)));
  }
}

void Socket::set_keepalive() {
  const auto set = [this](int level, int option, int value, const char* name) {
    if (::setsockopt(fd_.get(), level, option, &value, sizeof value) != 0) {
      throw NetError(fmt::format("cannot set {}: {}", name, errno_text(errno)));
    }
  };
  set(SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE");
  set(IPPROTO_TCP, TCP_KEEPIDLE, kKeepaliveIdleSeconds, "TCP_KEEPIDLE");
  set(IPPROTO_TCP, TCP_KEEPINTVL, kKeepaliveIntervalSeconds, "TCP_KEEPINTVL");
  set(IPPROTO_TCP, TCP_KEEPCNT, kKeepaliveProbes, "TCP_KEEPCNT");
}

std::string Socket::peer_name() const {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getpeername(fd_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return "unknown peer";
  }
  return detail::sockaddr_text(reinterpret_cast<const sockaddr*>(&addr), len);
}

std::string Socket::peer_source() const {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getpeername(fd_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return "unknown";
  }
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (addr.ss_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &v4->sin_addr, text.data(), text.size());
    return fmt::format("{}/32", text.data());
  }
  if (addr.ss_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
      in_addr v4{};
      std::memcpy(&v4, &v6->sin6_addr.s6_addr[12], sizeof v4);
      ::inet_ntop(AF_INET, &v4, text.data(), text.size());
      return fmt::format("{}/32", text.data());
    }
    in6_addr prefix = v6->sin6_addr;
    std::memset(&prefix.s6_addr[8], 0, 8);
    ::inet_ntop(AF_INET6, &prefix, text.data(), text.size());
    return fmt::format("{}/64", text.data());
  }
  return "unknown";
}

}  // namespace cryptochat::net
