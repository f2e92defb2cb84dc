#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "test_support.hpp"
#include "trust/check.hpp"
#include "trust/trust_test_support.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

using namespace cryptochat;
using test::kFpA;
using test::kFpB;
using test::kFpC;

TEST_CASE("verify_server: first contact is remembered by record_server") {
  const test::TempDir dir;
  const std::string path = dir.file("cfg/known_hosts");
  auto hosts = trust::KnownHosts::load(path);
  CHECK(trust::verify_server(hosts, "example.org:5000", kFpA, std::nullopt) ==
        trust::HostVerdict::first_contact);
  // Nothing is written before key confirmation; record_server writes.
  CHECK_FALSE(path_exists(path));
  CHECK(trust::record_server(path, "Example.ORG.:05000", kFpA) ==
        std::vector<std::string>{"example.org:5000"});
  CHECK(test::read_text(path) == std::string("example.org:5000 ") + kFpA + "\n");
  CHECK(test::mode_of(path) == 0600);
  // The next connection, from a fresh load, finds it.
  auto again = trust::KnownHosts::load(path);
  CHECK(trust::verify_server(again, "example.org:5000", kFpA, std::nullopt) ==
        trust::HostVerdict::known_match);
}

TEST_CASE("verify_server: a known key that matches is accepted without writing") {
  const test::TempDir dir;
  const std::string path = dir.file("known_hosts");
  const std::string text = std::string("# mine\n[::1]:5000 ") + kFpA + "\n";
  test::write_text(path, text, 0644);
  auto hosts = trust::KnownHosts::load(path);
  CHECK(trust::verify_server(hosts, "[::1]:5000", kFpA, std::nullopt) ==
        trust::HostVerdict::known_match);
  CHECK(test::read_text(path) == text);
  CHECK(test::mode_of(path) == 0644);  // untouched
}

TEST_CASE("verify_server: a changed key throws AuthError naming both fingerprints") {
  const test::TempDir dir;
  const std::string path = dir.file("known_hosts");
  const std::string text = std::string("host:1 ") + kFpA + "\n";
  test::write_text(path, text);
  auto hosts = trust::KnownHosts::load(path);
  try {
    trust::verify_server(hosts, "host:1", kFpB, std::nullopt);
    FAIL("no error");
  } catch (const AuthError& e) {
    const std::string message = e.what();
    CHECK(e.code() == ExitCode::auth);
    CHECK(message.starts_with("REMOTE HOST IDENTIFICATION HAS CHANGED for host:1"));
    CHECK(message.find(std::string("expected ") + kFpA) != std::string::npos);
    CHECK(message.find(std::string("got ") + kFpB) != std::string::npos);
    CHECK(message.find(path) != std::string::npos);
    CHECK(message.find(std::string("--peer-fingerprint ") + kFpB) != std::string::npos);
    CHECK(message.find("with: cryptochat known-hosts remove host:1 ") != std::string::npos);
    CHECK(message.find('\n') == std::string::npos);
  }
  CHECK(test::read_text(path) == text);  // the remembered key stays
  CHECK(hosts.lookup("host:1") == kFpA);
}

TEST_CASE("verify_server: a pin decides alone and never touches known_hosts") {
  const test::TempDir dir;
  const std::string path = dir.file("known_hosts");

  SUBCASE("a matching pin on an unknown server writes nothing") {
    auto hosts = trust::KnownHosts::load(path);
    CHECK(trust::verify_server(hosts, "new:1", kFpA, std::string(kFpA)) ==
          trust::HostVerdict::pinned_match);
    CHECK_FALSE(path_exists(path));
    CHECK_FALSE(hosts.lookup("new:1").has_value());
  }
  SUBCASE("a matching pin wins over a different remembered key") {
    test::write_text(path, std::string("host:1 ") + kFpA + "\n");
    auto hosts = trust::KnownHosts::load(path);
    CHECK(trust::verify_server(hosts, "host:1", kFpB, std::string(kFpB)) ==
          trust::HostVerdict::pinned_match);
    CHECK(test::read_text(path) == std::string("host:1 ") + kFpA + "\n");
  }
  SUBCASE("a different pin throws AuthError with both fingerprints, on one line") {
    test::write_text(path, std::string("host:1 ") + kFpA + "\n");
    auto hosts = trust::KnownHosts::load(path);
    try {
      // Even the remembered key is refused when the pin says otherwise.
      trust::verify_server(hosts, "host:1", kFpA, std::string(kFpC));
      FAIL("no error");
    } catch (const AuthError& e) {
      const std::string message = e.what();
      CHECK(message.find(kFpA) != std::string::npos);
      CHECK(message.find(kFpC) != std::string::npos);
      CHECK(message.find('\n') == std::string::npos);
    }
    auto fresh = trust::KnownHosts::load(dir.file("other"));
    CHECK_THROWS_AS(trust::verify_server(fresh, "new:1", kFpA, std::string(kFpB)), AuthError);
    CHECK_FALSE(path_exists(dir.file("other")));
  }
}

TEST_CASE("verify_server: the remove command in the changed-key error can be pasted in a shell") {
  const test::TempDir dir;
  const std::string path = dir.file("known_hosts");
  test::write_text(path, std::string("[::1]:5000 ") + kFpA + "\n");
  auto hosts = trust::KnownHosts::load(path);
  CHECK_THROWS_WITH_AS(trust::verify_server(hosts, "[::1]:5000", kFpB, std::nullopt),
                       doctest::Contains("cryptochat known-hosts remove '[::1]:5000' "), AuthError);
}

TEST_CASE("verify_server: the address connected to is checked under any name (CheckHostIP)") {
  const test::TempDir dir;
  const std::string path = dir.file("known_hosts");
  test::write_text(path, std::string("127.0.0.1:5000 ") + kFpA + "\n");
  auto hosts = trust::KnownHosts::load(path);
  for (const char* name : {"localhost:5000", "LOCALHOST:5000", "127.0.0.1:05000", "127.1:5000",
                           "[::ffff:127.0.0.1]:5000"}) {
    CAPTURE(name);
    CHECK_THROWS_WITH_AS(trust::verify_server(hosts, name, kFpB, std::nullopt, "127.0.0.1:5000"),
                         doctest::Contains("REMOTE HOST IDENTIFICATION HAS CHANGED"), AuthError);
  }
  // The same key under a new name is a first contact for the name.
  CHECK(trust::verify_server(hosts, "localhost:5000", kFpA, std::nullopt, "127.0.0.1:5000") ==
        trust::HostVerdict::first_contact);
  CHECK(trust::record_server(path, "localhost:5000", kFpA, "127.0.0.1:5000") ==
        std::vector<std::string>{"localhost:5000"});
  // A name known with the key, reached at an address not yet recorded: the address is added.
  auto again = trust::KnownHosts::load(path);
  CHECK(trust::needs_recording(again, "localhost:5000", "[::1]:5000"));
  CHECK(trust::record_server(path, "localhost:5000", kFpA, "[0:0::1]:5000") ==
        std::vector<std::string>{"[::1]:5000"});
  CHECK_FALSE(
      trust::needs_recording(trust::KnownHosts::load(path), "localhost:5000", "[::1]:5000"));
}

TEST_CASE("record_server: a key recorded meanwhile by another client is checked again") {
  const test::TempDir dir;
  const std::string path = dir.file("known_hosts");
  test::write_text(path, std::string("host:1 ") + kFpA + "\n");
  CHECK_THROWS_AS(trust::record_server(path, "host:1", kFpB), AuthError);
  CHECK(test::read_text(path) == std::string("host:1 ") + kFpA + "\n");
  CHECK(trust::record_server(path, "host:1", kFpA).empty());
}

TEST_CASE("canonical_address") {
  CHECK(trust::canonical_address("LocalHost.:0080") == "localhost:80");
  CHECK(trust::canonical_address("127.1:5") == "127.0.0.1:5");
  CHECK(trust::canonical_address("0x7f.0.0.1:5") == "127.0.0.1:5");
  CHECK(trust::canonical_address("[::FFFF:127.0.0.1]:5") == "127.0.0.1:5");
  CHECK(trust::canonical_address("[0:0:0:0:0:0:0:1]:5") == "[::1]:5");
  CHECK(trust::canonical_address("[2001:DB8::0:1]:5") == "[2001:db8::1]:5");
  // Not HOST:PORT: unchanged.
  CHECK(trust::canonical_address("host") == "host");
  CHECK(trust::canonical_address("host:0") == "host:0");
  CHECK(trust::canonical_address("host:65536") == "host:65536");
  CHECK(trust::canonical_address("::1:5") == "::1:5");
  CHECK(trust::canonical_address("[zz]:5") == "[zz]:5");
  CHECK(trust::canonical_address(":5") == ":5");
}

TEST_CASE("verify_server: --strict refuses an unknown server, and only that") {
  const test::TempDir dir;
  const std::string path = dir.file("known_hosts");
  test::write_text(path, std::string("host:1 ") + kFpA + "\n");
  auto hosts = trust::KnownHosts::load(path);
  try {
    trust::verify_server(hosts, "new:1", kFpB, std::nullopt, "127.0.0.1:1", true);
    FAIL("no error");
  } catch (const AuthError& e) {
    const std::string message = e.what();
    CHECK(e.code() == ExitCode::auth);
    CHECK(message.starts_with("new:1 is not in " + path + " and --strict refuses unknown keys"));
    CHECK(message.find(kFpB) != std::string::npos);
    CHECK(message.find('\n') == std::string::npos);
  }
  CHECK(trust::verify_server(hosts, "host:1", kFpA, std::nullopt, "127.0.0.1:1", true) ==
        trust::HostVerdict::known_match);
  CHECK_THROWS_WITH_AS(trust::verify_server(hosts, "host:1", kFpB, std::nullopt, {}, true),
                       doctest::Contains("HAS CHANGED"), AuthError);
  CHECK(trust::verify_server(hosts, "new:1", kFpB, std::string(kFpB), {}, true) ==
        trust::HostVerdict::pinned_match);
  CHECK(test::read_text(path) == std::string("host:1 ") + kFpA + "\n");
}

TEST_CASE("verify_server: a malformed line that names the server refuses it") {
  const test::TempDir dir;
  const std::string path = dir.file("known_hosts");
  const std::string text =
      std::string("other:9 ") + kFpC + "\nhost:1 SHA256:cut-short\n" + "127.0.0.1:7\n";
  test::write_text(path, text);
  auto hosts = trust::KnownHosts::load(path);
  // Another server is checked as usual.
  CHECK(trust::verify_server(hosts, "other:9", kFpC, std::nullopt) ==
        trust::HostVerdict::known_match);
  CHECK(trust::verify_server(hosts, "new:1", kFpA, std::nullopt) ==
        trust::HostVerdict::first_contact);
  for (const char* name : {"host:1", "HOST.:01"}) {
    CAPTURE(name);
    try {
      trust::verify_server(hosts, name, kFpA, std::nullopt);
      FAIL("no error");
    } catch (const AuthError& e) {
      const std::string message = e.what();
      CHECK(message.starts_with(path + ":2: the known_hosts line for host:1 is malformed ("));
      CHECK(message.find(kFpA) != std::string::npos);
      CHECK(message.find("cryptochat known-hosts remove host:1") != std::string::npos);
      CHECK(message.find('\n') == std::string::npos);
    }
  }
  // The address connected to counts too.
  CHECK_THROWS_WITH_AS(trust::verify_server(hosts, "name:7", kFpA, std::nullopt, "127.0.0.1:7"),
                       doctest::Contains(":3: the known_hosts line for 127.0.0.1:7"), AuthError);
  // And recording is refused likewise: the file stays as it was.
  CHECK_THROWS_AS(trust::record_server(path, "host:1", kFpA), AuthError);
  CHECK(test::read_text(path) == text);
}

TEST_CASE("record_server: hashed lines on request, found again by address") {
  const test::TempDir dir;
  const std::string path = dir.file("known_hosts");
  CHECK(trust::record_server(path, "Example.ORG:5000", kFpA, "127.0.0.1:5000", true) ==
        std::vector<std::string>{"example.org:5000", "127.0.0.1:5000"});
  const std::string text = test::read_text(path);
  CHECK(text.starts_with("|1|"));
  CHECK(text.find("example") == std::string::npos);
  CHECK(text.find("127.0.0.1") == std::string::npos);
  auto hosts = trust::KnownHosts::load(path);
  CHECK(trust::verify_server(hosts, "example.org:5000", kFpA, std::nullopt, "127.0.0.1:5000") ==
        trust::HostVerdict::known_match);
  CHECK_FALSE(trust::needs_recording(hosts, "example.org:5000", "127.0.0.1:5000"));
  CHECK_THROWS_WITH_AS(
      trust::verify_server(hosts, "localhost:5000", kFpB, std::nullopt, "127.0.0.1:5000"),
      doctest::Contains("REMOTE HOST IDENTIFICATION HAS CHANGED"), AuthError);
}
