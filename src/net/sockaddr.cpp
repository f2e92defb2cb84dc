#include "net/sockaddr.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>

#include <fmt/format.h>
#include <array>
#include <cerrno>
#include <cstring>

#include "net/net_error.hpp"
#include "util/error.hpp"

namespace cryptochat::net::detail {

namespace {

constexpr std::size_t max_shown = 64;

std::string ipv4_text(const in_addr& addr, std::uint16_t port) {
  std::array<char, INET_ADDRSTRLEN> buf{};
  ::inet_ntop(AF_INET, &addr, buf.data(), buf.size());
  return fmt::format("{}:{}", buf.data(), port);
}

std::string ipv6_text(const sockaddr_in6& sa) {
  const std::uint16_t port = ntohs(sa.sin6_port);
  if (IN6_IS_ADDR_V4MAPPED(&sa.sin6_addr)) {
    in_addr v4{};
    std::memcpy(&v4, &sa.sin6_addr.s6_addr[12], sizeof v4);
    return ipv4_text(v4, port);
  }
  std::array<char, INET6_ADDRSTRLEN> buf{};
  ::inet_ntop(AF_INET6, &sa.sin6_addr, buf.data(), buf.size());
  if (sa.sin6_scope_id == 0) {
    return fmt::format("[{}]:{}", buf.data(), port);
  }
  // Link-local peers are only reachable through their interface, so it is part of the name.
  std::array<char, IF_NAMESIZE> ifname{};
  if (::if_indextoname(sa.sin6_scope_id, ifname.data()) != nullptr) {
    return fmt::format("[{}%{}]:{}", buf.data(), ifname.data(), port);
  }
  return fmt::format("[{}%{}]:{}", buf.data(), sa.sin6_scope_id, port);
}

}  // namespace

std::string escaped_excerpt(std::string_view text) {
  std::string out;
  const auto kept = text.substr(0, max_shown);
  out.reserve(kept.size() + 3);
  for (const char c : kept) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", byte);
    }
  }
  if (text.size() > max_shown) {
    out += "...";
  }
  return out;
}

std::string sockaddr_text(const sockaddr* addr, socklen_t len) {
  // The sockaddr_storage the callers pass is suitably aligned for every family, so the casts
  // below read it as the type its family says it is.
  if (addr->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(addr);
    return ipv4_text(v4->sin_addr, ntohs(v4->sin_port));
  }
  if (addr->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    return ipv6_text(*reinterpret_cast<const sockaddr_in6*>(addr));
  }
  if (addr->sa_family == AF_UNIX) {
    return "local socket";
  }
  return "unknown address";
}

AddrInfoList resolve(const char* host, std::uint16_t port, int flags, std::string_view what) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = flags | AI_NUMERICSERV;
  const std::string service = std::to_string(port);
  addrinfo* list = nullptr;
  const int rc = ::getaddrinfo(host, service.c_str(), &hints, &list);
  if (rc != 0) {
    const std::string reason = rc == EAI_SYSTEM ? errno_text(errno) : ::gai_strerror(rc);
    throw NetError(fmt::format("{}: {}", what, reason));
  }
  return AddrInfoList(list);
}

void set_fd_nonblocking(int fd, bool on) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) {
    throw NetError(fmt::format("cannot change socket mode: {}", errno_text(errno)));
  }
  const int wanted = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (wanted != flags && ::fcntl(fd, F_SETFL, wanted) != 0) {
    throw NetError(fmt::format("cannot change socket mode: {}", errno_text(errno)));
  }
}

}  // namespace cryptochat::net::detail
