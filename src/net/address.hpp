// HOST:PORT as typed on the command line. The parser takes untrusted text (it is fuzzed): it
// never reads past its input, refuses long input before copying anything, and reports every
// problem as a one-line UsageError.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cryptochat::net {

struct HostPort {
  std::string host;  // a name, an IPv4 literal or an IPv6 literal without brackets
  std::uint16_t port = 0;
};

// Accepts "name:port", "1.2.3.4:port" and "[::1]:port" (brackets are required around IPv6
// literals, so "::1:5000" is refused rather than guessed at). Port: 1..65535, decimal digits
// only. Throws UsageError.
HostPort parse_host_port(std::string_view text);

// HOST and PORT given apart, as netcat takes them: "localhost" "5000", "::1" "5000" or
// "[::1]" "5000" (brackets optional). Same limits and errors as parse_host_port.
HostPort parse_host_and_port(std::string_view host, std::string_view port);

// The inverse of parse_host_port: "[::1]:5000" for IPv6 literals, "host:5000" otherwise.
std::string format_host_port(const HostPort& target);

}  // namespace cryptochat::net
