// net::parse_host_port on the input: UsageError, or a host and port that format_host_port
// writes back as text which parses to the same host and port.
#include "fuzz_common.hpp"
#include "net/address.hpp"
#include "util/error.hpp"

using namespace cryptochat;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  net::HostPort parsed;
  try {
    parsed = net::parse_host_port(text);
  } catch (const UsageError&) {
    return 0;
  }
  fuzz::check(parsed.port != 0, "port 0 accepted");
  fuzz::check(!parsed.host.empty() && parsed.host.size() <= 253, "host of a bad length");
  for (const char c : parsed.host) {
    const auto byte = static_cast<unsigned char>(c);
    fuzz::check(byte > 0x20 && byte != 0x7F, "a host with a space or control byte accepted");
  }
  const std::string formatted = net::format_host_port(parsed);
  net::HostPort again;
  try {
    again = net::parse_host_port(formatted);
  } catch (const UsageError&) {
    fuzz::fail("format_host_port wrote text that parse_host_port refuses");
  }
  fuzz::check(again.host == parsed.host && again.port == parsed.port,
              "format_host_port/parse_host_port round trip changed the address");
  return 0;
}
