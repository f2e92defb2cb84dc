// Helpers shared by the net sources; not part of the layer's interface.
#pragma once

#include <netdb.h>
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace cryptochat::net::detail {

// Untrusted text (a host name, an address) made safe for a one-line message: its first 64 bytes,
// each byte outside printable ASCII shown as \xNN, and "..." appended when it was longer. Unlike
// printable (util/text.hpp) it keeps no UTF-8 and cuts long text.
std::string escaped_excerpt(std::string_view text);

// "127.0.0.1:5000", "[::1]:5000"; IPv4-mapped IPv6 addresses (what a dual-stack listener sees
// for IPv4 peers) are shown as plain IPv4.
std::string sockaddr_text(const sockaddr* addr, socklen_t len);

struct AddrInfoFree {
  void operator()(addrinfo* list) const noexcept { ::freeaddrinfo(list); }
};
using AddrInfoList = std::unique_ptr<addrinfo, AddrInfoFree>;

// getaddrinfo for SOCK_STREAM with the given ai_flags. On failure throws NetError
// "<what>: <reason>".
AddrInfoList resolve(const char* host, std::uint16_t port, int flags, std::string_view what);

// O_NONBLOCK on or off; throws NetError.
void set_fd_nonblocking(int fd, bool on);

}  // namespace cryptochat::net::detail
