#include "net/listener.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <cerrno>

#include "net/net_error.hpp"
#include "net/sockaddr.hpp"
#include "util/error.hpp"

namespace cryptochat::net {

namespace {

constexpr int backlog = 128;
constexpr std::size_t max_bind_text = 253;

// Errors about the port rather than the address get the same message whatever was bound.
[[noreturn]] void throw_listen_error(int err, std::uint16_t port,
                                     const std::optional<std::string>& bind_addr) {
  if (!bind_addr || err == EADDRINUSE || err == EACCES) {
    throw NetError(fmt::format("cannot listen on port {}: {}", port, errno_text(err)));
  }
  throw NetError(
      fmt::format("cannot bind to '{}': {}", detail::escaped_excerpt(*bind_addr), errno_text(err)));
}

// 0 on success, otherwise the errno of the step that failed.
int bind_and_listen(const UniqueFd& fd, const sockaddr* addr, socklen_t len) {
  // Lets a restarted server take its port back while old connections sit in TIME_WAIT; on
  // Linux it does not let two live listeners share a port.
  const int one = 1;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      ::bind(fd.get(), addr, len) != 0 || ::listen(fd.get(), backlog) != 0) {
    return errno;
  }
  return 0;
}

UniqueFd open_ipv4_any(std::uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) {
    throw_listen_error(errno, port, std::nullopt);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  addr.sin_port = htons(port);
  if (const int err = bind_and_listen(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
      err != 0) {
    throw_listen_error(err, port, std::nullopt);
  }
  return fd;
}

// One IPv6 socket that also takes IPv4 connections (as IPv4-mapped addresses).
UniqueFd open_any(std::uint16_t port) {
  UniqueFd fd(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) {
    if (errno == EAFNOSUPPORT) {
      return open_ipv4_any(port);  // a kernel built or booted without IPv6
    }
    throw_listen_error(errno, port, std::nullopt);
  }
  // Linux defaults to dual-stack, but the net.ipv6.bindv6only sysctl can change that default.
  const int off = 0;
  if (::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) != 0) {
    throw_listen_error(errno, port, std::nullopt);
  }
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_any;
  addr.sin6_port = htons(port);
  if (const int err = bind_and_listen(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
      err != 0) {
    throw_listen_error(err, port, std::nullopt);
  }
  return fd;
}

UniqueFd open_at(const std::string& bind_addr, std::uint16_t port) {
  std::string_view host = bind_addr;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  // An embedded NUL would silently cut the name getaddrinfo sees.
  if (host.empty() || host.size() > max_bind_text || host.find('\0') != std::string_view::npos) {
    throw NetError(fmt::format("cannot bind to '{}': not an address or host name",
                               detail::escaped_excerpt(bind_addr)));
  }
  const std::string name(host);
  const auto list =
      detail::resolve(name.c_str(), port, AI_PASSIVE,
                      fmt::format("cannot bind to '{}'", detail::escaped_excerpt(bind_addr)));
  int err = EADDRNOTAVAIL;
  for (const addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) {
    UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd) {
      err = errno;
      continue;
    }
    err = bind_and_listen(fd, ai->ai_addr, ai->ai_addrlen);
    if (err == 0) {
      return fd;
    }
  }
  throw_listen_error(err, port, bind_addr);
}

sockaddr_storage local_address(int fd, socklen_t& len) {
  sockaddr_storage addr{};
  len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw NetError(fmt::format("cannot read the listening address: {}", errno_text(errno)));
  }
  return addr;
}

// Failures accept(2) says to treat like EAGAIN: the pending connection died, or a signal came.
bool is_transient_accept_error(int err) {
  constexpr std::array transient{EAGAIN, EWOULDBLOCK,  EINTR,       ECONNABORTED,
                                 EPROTO, ENETDOWN,     ENOPROTOOPT, EHOSTDOWN,
                                 ENONET, EHOSTUNREACH, EOPNOTSUPP,  ENETUNREACH};
  return std::find(transient.begin(), transient.end(), err) != transient.end();
}

}  // namespace

Listener Listener::open(const std::optional<std::string>& bind_addr, std::uint16_t port) {
  return Listener(bind_addr ? open_at(*bind_addr, port) : open_any(port));
}

std::uint16_t Listener::port() const {
  socklen_t len = 0;
  const sockaddr_storage addr = local_address(fd_.get(), len);
  if (addr.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
}

std::string Listener::local_name() const {
  socklen_t len = 0;
  const sockaddr_storage addr = local_address(fd_.get(), len);
  return detail::sockaddr_text(reinterpret_cast<const sockaddr*>(&addr), len);
}

std::optional<Socket> Listener::accept() {
  UniqueFd fd(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (fd) {
    Socket socket(std::move(fd));
    socket.set_keepalive();
    return socket;
  }
  const int err = errno;
  if (is_transient_accept_error(err)) {
    return std::nullopt;
  }
  throw NetError(fmt::format("cannot accept a connection: {}", errno_text(err)));
}

void Listener::set_nonblocking(bool on) {
  detail::set_fd_nonblocking(fd_.get(), on);
}

}  // namespace cryptochat::net
