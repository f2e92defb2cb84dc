#include "net/address.hpp"

#include <arpa/inet.h>

#include <fmt/format.h>
#include <cstddef>

#include "net/sockaddr.hpp"
#include "util/error.hpp"

namespace cryptochat::net {

namespace {

// Longer input is refused before anything is copied: no legitimate address comes close.
constexpr std::size_t max_input = 300;
constexpr std::size_t max_host = 253;  // the longest DNS name
constexpr unsigned max_port = 65535;

constexpr std::string_view not_host_port = "is not HOST:PORT (for IPv6 use [ADDR]:PORT)";

[[noreturn]] void refuse(std::string_view text, std::string_view why) {
  throw UsageError(fmt::format("'{}' {}", detail::escaped_excerpt(text), why));
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::uint16_t parse_port(std::string_view text, std::string_view port) {
  if (port.empty()) {
    refuse(text, "has no port (expected HOST:PORT)");
  }
  constexpr std::string_view bad_port = "has a bad port (use a number from 1 to 65535)";
  unsigned value = 0;
  for (const char c : port) {
    if (!is_digit(c)) {
      refuse(text, bad_port);
    }
    value = value * 10 + static_cast<unsigned>(c - '0');
    // Checked digit by digit so a long run of digits can never overflow.
    if (value > max_port) {
      refuse(text, bad_port);
    }
  }
  if (value == 0) {
    refuse(text, bad_port);
  }
  return static_cast<std::uint16_t>(value);
}

// Whitespace and control bytes are never part of a name and would garble messages; '/' and
// brackets mark a URL or a misplaced IPv6 literal.
bool is_bad_host_byte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte <= 0x20 || byte == 0x7f || c == '/' || c == '[' || c == ']';
}

void check_host(std::string_view text, std::string_view host) {
  if (host.empty()) {
    refuse(text, "has no host (expected HOST:PORT)");
  }
  if (host.size() > max_host) {
    refuse(text, fmt::format("has a host longer than {} bytes", max_host));
  }
  for (const char c : host) {
    if (is_bad_host_byte(c)) {
      refuse(text, "has a space, control character, '/' or bracket in its host");
    }
  }
}

// An IPv6 literal, optionally with a zone ("fe80::1%eth0"), as getaddrinfo accepts it.
void check_ipv6_literal(std::string_view text, std::string_view host) {
  check_host(text, host);
  std::string_view addr = host;
  if (const auto percent = host.find('%'); percent != std::string_view::npos) {
    addr = host.substr(0, percent);
    const auto zone = host.substr(percent + 1);
    constexpr std::string_view zone_bytes =
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_.";
    if (zone.empty() || zone.find_first_not_of(zone_bytes) != std::string_view::npos) {
      refuse(text, "does not have an IPv6 address in brackets");
    }
  }
  in6_addr parsed{};
  const std::string copy(addr);  // inet_pton wants a terminated string; at most 253 bytes
  if (::inet_pton(AF_INET6, copy.c_str(), &parsed) != 1) {
    refuse(text, "does not have an IPv6 address in brackets");
  }
}

}  // namespace

HostPort parse_host_port(std::string_view text) {
  if (text.size() > max_input) {
    refuse(text, fmt::format("is longer than {} bytes", max_input));
  }
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      refuse(text, not_host_port);
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    check_ipv6_literal(text, host);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      refuse(text, not_host_port);
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      refuse(text, not_host_port);
    }
    check_host(text, host);
  }
  return HostPort{std::string(host), parse_port(text, port)};
}

HostPort parse_host_and_port(std::string_view host, std::string_view port) {
  if (host.size() > max_input || port.size() > max_input) {
    refuse(host.size() > max_input ? host : port,
           fmt::format("is longer than {} bytes", max_input));
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    check_ipv6_literal(host, host);
  } else if (host.find(':') != std::string_view::npos) {
    check_ipv6_literal(host, host);  // "::1 5000": no brackets needed when the port is apart
  } else {
    check_host(host, host);
  }
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string_view::npos) {
    refuse(port, "is not a port (use a number from 1 to 65535)");
  }
  const auto value = static_cast<unsigned>(std::stoul(std::string(port)));
  if (value == 0 || value > max_port) {
    refuse(port, "is not a port (use a number from 1 to 65535)");
  }
  return HostPort{std::string(host), static_cast<std::uint16_t>(value)};
}

std::string format_host_port(const HostPort& target) {
  if (target.host.find(':') != std::string::npos) {
    return fmt::format("[{}]:{}", target.host, target.port);
  }
  return fmt::format("{}:{}", target.host, target.port);
}

}  // namespace cryptochat::net
