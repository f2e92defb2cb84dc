#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "net/address.hpp"
#include "util/error.hpp"

using namespace cryptochat;
using namespace cryptochat::net;

TEST_CASE("parse_host_port accepts names, IPv4 and bracketed IPv6") {
  struct Good {
    std::string text;
    std::string host;
    std::uint16_t port;
  };
  const std::vector<Good> cases = {
      {"localhost:1", "localhost", 1},
      {"example.org:5000", "example.org", 5000},
      {"1.2.3.4:65535", "1.2.3.4", 65535},
      {"[::1]:5000", "::1", 5000},
      {"[2001:db8::7]:22", "2001:db8::7", 22},
      {"[fe80::1%eth0]:80", "fe80::1%eth0", 80},
      {"[::ffff:1.2.3.4]:8", "::ffff:1.2.3.4", 8},
      {"host:00080", "host", 80},
      {std::string(253, 'a') + ":1", std::string(253, 'a'), 1},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    const HostPort got = parse_host_port(c.text);
    CHECK(got.host == c.host);
    CHECK(got.port == c.port);
  }
}

TEST_CASE("parse_host_port refuses malformed input with one clear line") {
  struct Bad {
    std::string text;
    std::string message;
  };
  const std::vector<Bad> cases = {
      {"foo", "'foo' is not HOST:PORT (for IPv6 use [ADDR]:PORT)"},
      {"", "'' is not HOST:PORT"},
      {"host:0", "'host:0' has a bad port (use a number from 1 to 65535)"},
      {"host:65536", "bad port"},
      {"host:99999999999999999999", "bad port"},
      {"host:", "'host:' has no port"},
      {"host:+1", "bad port"},
      {"host:-1", "bad port"},
      {"host: 1", "bad port"},
      {"host:1 ", "bad port"},
      {"host:0x10", "bad port"},
      {":5000", "':5000' has no host"},
      {"::1:5000", "for IPv6 use [ADDR]:PORT"},
      {"::1", "for IPv6 use [ADDR]:PORT"},
      {"[::1]", "'[::1]' is not HOST:PORT"},
      {"[::1]5000", "is not HOST:PORT"},
      {"[::1:5000", "is not HOST:PORT"},
      {"[]:5000", "has no host"},
      {"[foo]:5000", "does not have an IPv6 address in brackets"},
      {"[1.2.3.4]:5000", "does not have an IPv6 address in brackets"},
      {"[fe80::1%]:5000", "does not have an IPv6 address in brackets"},
      {"[fe80::1%a/b]:5000", "has a space, control character, '/' or bracket in its host"},
      {"[fe80::1%a.b-c]:5000x", "bad port"},
      {"[fe80::1%a:b]:5000", "does not have an IPv6 address in brackets"},
      {"a b:1", "has a space, control character, '/' or bracket in its host"},
      {"a\tb:1", "'a\\x09b:1' has a space"},
      {std::string("a\0b:1", 5), "'a\\x00b:1' has a space"},
      {"a\x7f:1", "has a space"},
      {"host/path:1", "has a space, control character, '/'"},
      {"http://host:1", "for IPv6 use [ADDR]:PORT"},
      {"a]b:1", "bracket in its host"},
      {std::string(254, 'a') + ":1", "has a host longer than 253 bytes"},
      {std::string(301, 'a'), "is longer than 300 bytes"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    CHECK_THROWS_WITH_AS(parse_host_port(c.text), doctest::Contains(c.message.c_str()), UsageError);
  }
}

TEST_CASE("parse_host_port errors are one short line even for long or binary input") {
  const std::string hostile = std::string(300, '\n');
  try {
    parse_host_port(hostile);
    FAIL("accepted");
  } catch (const UsageError& e) {
    const std::string message = e.what();
    CHECK(message.find('\n') == std::string::npos);
    CHECK(message.size() < 400);
    CHECK(message.find("...") != std::string::npos);
    CHECK(e.code() == ExitCode::usage);
  }
}

TEST_CASE("format_host_port brackets IPv6 literals and round-trips") {
  CHECK(format_host_port({"::1", 5000}) == "[::1]:5000");
  CHECK(format_host_port({"127.0.0.1", 5000}) == "127.0.0.1:5000");
  CHECK(format_host_port({"example.org", 1}) == "example.org:1");
  for (const char* text : {"[::1]:5000", "1.2.3.4:7", "name:65535", "[fe80::1%eth0]:80"}) {
    CAPTURE(text);
    CHECK(format_host_port(parse_host_port(text)) == text);
  }
}

TEST_CASE("parse_host_and_port takes HOST and PORT apart, as netcat does") {
  CHECK(parse_host_and_port("localhost", "5000").host == "localhost");
  CHECK(parse_host_and_port("localhost", "5000").port == 5000);
  CHECK(parse_host_and_port("127.0.0.1", "1").port == 1);
  CHECK(parse_host_and_port("::1", "5000").host == "::1");
  CHECK(parse_host_and_port("[::1]", "65535").host == "::1");
  CHECK(parse_host_and_port("fe80::1%eth0", "22").host == "fe80::1%eth0");
  CHECK(format_host_port(parse_host_and_port("::1", "5000")) == "[::1]:5000");
  const std::string bad_port = "is not a port (use a number from 1 to 65535)";
  CHECK_THROWS_WITH_AS(parse_host_and_port("h", "70000"), ("'70000' " + bad_port).c_str(),
                       UsageError);
  CHECK_THROWS_WITH_AS(parse_host_and_port("h", "0"), ("'0' " + bad_port).c_str(), UsageError);
  CHECK_THROWS_WITH_AS(parse_host_and_port("h", "5k"), ("'5k' " + bad_port).c_str(), UsageError);
  CHECK_THROWS_WITH_AS(parse_host_and_port("h", ""), ("'' " + bad_port).c_str(), UsageError);
  CHECK_THROWS_WITH_AS(parse_host_and_port("h", "0000005000"), ("'0000005000' " + bad_port).c_str(),
                       UsageError);
  CHECK_THROWS_AS(parse_host_and_port("::zz", "5000"), UsageError);
  CHECK_THROWS_AS(parse_host_and_port("[::1", "5000"), UsageError);
  CHECK_THROWS_AS(parse_host_and_port("", "5000"), UsageError);
  CHECK_THROWS_AS(parse_host_and_port("a b", "5000"), UsageError);
  CHECK_THROWS_AS(parse_host_and_port(std::string(400, 'a'), "5000"), UsageError);
}
