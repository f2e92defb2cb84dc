#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "test_support.hpp"
#include "trust/known_hosts.hpp"
#include "trust/trust_error.hpp"
#include "trust/trust_test_support.hpp"
#include "util/error.hpp"

using namespace cryptochat;
using test::kFpA;
using test::kFpB;
using test::kFpC;

namespace {

std::string entry(const std::string& address, const char* fp) {
  return address + " " + fp + "\n";
}

// The message a malformed line at `line` of "kh" must produce.
std::string malformed_at(int line) {
  return "kh:" + std::to_string(line) + ": malformed known_hosts entry";
}

}  // namespace

TEST_CASE("known_hosts: a good file with comments, blank lines, tabs and CRLF parses") {
  const std::string text = std::string("# cryptochat known hosts\n") + "\n" + "   \t \n" +
                           "example.org:5000 " + kFpA + "\n" + "\t[::1]:5000\t\t" + kFpB +
                           "  \r\n" + "  # indented comment\r\n" + "10.0.0.1:7 " + kFpC;
  const auto hosts = trust::parse_known_hosts(text, "kh");
  CHECK(hosts.lookup("example.org:5000") == kFpA);
  CHECK(hosts.lookup("[::1]:5000") == kFpB);
  CHECK(hosts.lookup("10.0.0.1:7") == kFpC);
  CHECK_FALSE(hosts.lookup("example.org").has_value());
  CHECK(hosts.lookup("EXAMPLE.ORG.:05000") == hosts.lookup("example.org:5000"));  // canonical
  CHECK_FALSE(hosts.lookup("example.org:5001").has_value());
  CHECK_FALSE(hosts.lookup("").has_value());
  CHECK(hosts.path() == "kh");
}

TEST_CASE("known_hosts: an empty text is an empty memory") {
  CHECK_FALSE(trust::parse_known_hosts("", "kh").lookup("a:1").has_value());
  CHECK_FALSE(trust::parse_known_hosts("\n\n# only comments\n", "kh").lookup("a:1").has_value());
}

TEST_CASE("known_hosts: each malformed line is refused with its line number") {
  const std::string good = entry("good:1", kFpA);
  struct Case {
    const char* name;
    std::string line;
  };
  const Case cases[] = {
      {"address only", "host:1\n"},
      {"no SHA256 prefix", "host:1 iglGkwo3rUB4MD/hhlIxc5ViZWfvUth5TNnbEB7pMRk\n"},
      {"fingerprint too short", "host:1 SHA256:iglGkwo3rUB4MD/hhlIxc5ViZWfvUth5TNnbEB7pMR\n"},
      {"fingerprint too long", "host:1 SHA256:iglGkwo3rUB4MD/hhlIxc5ViZWfvUth5TNnbEB7pMRkk\n"},
      {"fingerprint padded", "host:1 SHA256:iglGkwo3rUB4MD/hhlIxc5ViZWfvUth5TNnbEB7pMR=\n"},
      {"fingerprint not base64", "host:1 SHA256:iglGkwo3rUB4MD/hhlIxc5ViZWfvUth5TNnbEB7pM-k\n"},
      {"MD5 style", "host:1 MD5:12:34:56\n"},
      {"fingerprint first", std::string(kFpA) + " host:1\n"},
      {"trailing text", std::string("host:1 ") + kFpA + " comment\n"},
      {"control character in address", std::string("ho\x01st:1 ") + kFpA + "\n"},
      {"DEL in address", std::string("ho\x7fst:1 ") + kFpA + "\n"},
      {"NUL in address", std::string("ho\0st:1 ", 8) + kFpA + "\n"},
      {"stray CR in the middle", std::string("host:1\r") + kFpA + "\n"},
      {"vertical tab separator", std::string("host:1\v") + kFpA + "\n"},
      {"address over 300 bytes", entry(std::string(301, 'a'), kFpA)},
      {"line over 1024 bytes", std::string(1000, ' ') + entry("host:1", kFpA)},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    CHECK_THROWS_WITH_AS(trust::parse_known_hosts(good + "# two\n" + c.line, "kh"),
                         doctest::Contains(malformed_at(3).c_str()), trust::TrustError);
  }
}

TEST_CASE("known_hosts: the bounds themselves are accepted") {
  const std::string longest_address(300, 'a');
  const auto hosts = trust::parse_known_hosts(entry(longest_address, kFpA), "kh");
  CHECK(hosts.lookup(longest_address) == kFpA);
  // 1024 bytes of line, not counting the "\r\n" that ends it.
  const std::string padded = std::string(966, ' ') + "host:12 " + kFpA;
  REQUIRE(padded.size() == 1024);
  CHECK(trust::parse_known_hosts(padded + "\r\n", "kh").lookup("host:12") == kFpA);
}

TEST_CASE("known_hosts: a malformed line error is a single line") {
  try {
    trust::parse_known_hosts(std::string("a\nb\nbad\n"), "kh");
    FAIL("no error");
  } catch (const trust::TrustError& e) {
    const std::string message = e.what();
    CHECK(message.find('\n') == std::string::npos);
    CHECK(message.starts_with("kh:1: malformed known_hosts entry"));
    CHECK(e.code() == ExitCode::failure);
  }
}

TEST_CASE("known_hosts: with duplicate addresses the last line wins") {
  const auto hosts = trust::parse_known_hosts(
      entry("dup:1", kFpA) + entry("other:1", kFpC) + entry("dup:1", kFpB), "kh");
  CHECK(hosts.lookup("dup:1") == kFpB);
}

TEST_CASE("known_hosts: set replaces every line of the address with one, in place") {
  const test::TempDir dir;
  const std::string path = dir.file("known_hosts");
  auto hosts =
      trust::parse_known_hosts(std::string("# head\n") + entry("dup:1", kFpA) +
                                   entry("other:1", kFpC) + entry("dup:1", kFpB) + "# tail\n",
                               path);
  hosts.set("dup:1", kFpC);
  CHECK(hosts.lookup("dup:1") == kFpC);
  hosts.set("new:2", kFpA);
  hosts.save();
  CHECK(test::read_text(path) == std::string("# head\n") + entry("dup:1", kFpC) +
                                     entry("other:1", kFpC) + "# tail\n" + entry("new:2", kFpA));
}

TEST_CASE("known_hosts: set refuses what could not be read back") {
  trust::KnownHosts hosts("kh");
  CHECK_THROWS_AS(hosts.set("has space:1", kFpA), trust::TrustError);
  CHECK_THROWS_AS(hosts.set("new\nline:1", kFpA), trust::TrustError);
  CHECK_THROWS_AS(hosts.set("#comment:1", kFpA), trust::TrustError);
  CHECK_THROWS_AS(hosts.set("", kFpA), trust::TrustError);
  CHECK_THROWS_AS(hosts.set(std::string(301, 'a'), kFpA), trust::TrustError);
  CHECK_THROWS_AS(hosts.set("host:1", "SHA256:short"), trust::TrustError);
  CHECK_FALSE(hosts.lookup("host:1").has_value());
}

TEST_CASE("known_hosts: save and load round trip with mode 0600, keeping comments") {
  const test::TempDir dir;
  // A folder that does not exist yet: save() makes it, private.
  const std::string folder = dir.file("config/cryptochat");
  const std::string path = folder + "/known_hosts";
  const std::string valid =
      std::string("# my servers\n\n") + "home:5000\t" + kFpA + "  \n" + "  # indented\n";
  auto hosts = trust::parse_known_hosts(valid, path);
  hosts.set("[::1]:5000", kFpB);
  hosts.save();
  CHECK(test::mode_of(path) == 0600);
  CHECK(test::mode_of(folder) == 0700);
  CHECK(test::read_text(path) == valid + "[::1]:5000 " + kFpB + "\n");

  const auto again = trust::KnownHosts::load(path);
  CHECK(again.lookup("home:5000") == kFpA);
  CHECK(again.lookup("[::1]:5000") == kFpB);
  again.save();
  CHECK(test::read_text(path) == valid + "[::1]:5000 " + kFpB + "\n");
}

TEST_CASE("known_hosts: CRLF line ends are read, and written back as LF") {
  const test::TempDir dir;
  const std::string path = dir.file("known_hosts");
  test::write_text(path, std::string("# c\r\n") + "a:1 " + kFpA + "\r\n");
  const auto hosts = trust::KnownHosts::load(path);
  CHECK(hosts.lookup("a:1") == kFpA);
  hosts.save();
  CHECK(test::read_text(path) == std::string("# c\n") + "a:1 " + kFpA + "\n");
}

TEST_CASE("known_hosts: a missing file is empty, an oversized or malformed one throws") {
  const test::TempDir dir;
  const auto missing = trust::KnownHosts::load(dir.file("nope"));
  CHECK_FALSE(missing.lookup("a:1").has_value());
  CHECK(missing.path() == dir.file("nope"));

  const std::string big = dir.file("big");
  test::write_text(big, std::string(std::size_t{1024} * 1024 + 1, '#'));
  CHECK_THROWS_WITH_AS(trust::KnownHosts::load(big), doctest::Contains("larger than"), IoError);
  CHECK_THROWS_AS(trust::parse_known_hosts(std::string(std::size_t{1024} * 1024 + 1, '\n'), "kh"),
                  trust::TrustError);

  const std::string bad = dir.file("bad");
  test::write_text(bad, "# fine\nnot an entry\n");
  CHECK_THROWS_WITH_AS(trust::KnownHosts::load(bad),
                       doctest::Contains((bad + ":2: malformed known_hosts entry").c_str()),
                       trust::TrustError);

  CHECK_THROWS_AS(trust::KnownHosts::load(dir.path()), IoError);  // a folder, not a file
  // Only a missing file is an empty memory, not a path that cannot be looked into.
  CHECK_THROWS_AS(trust::KnownHosts::load(bad + "/known_hosts"), IoError);
}

TEST_CASE("known_hosts: the default file is under the config folder") {
  const test::TempDir dir;
  // NOLINTBEGIN(concurrency-mt-unsafe): the tests run on one thread.
  const char* old = std::getenv("XDG_CONFIG_HOME");
  const std::string saved = old != nullptr ? old : "";
  ::setenv("XDG_CONFIG_HOME", dir.path().c_str(), 1);
  CHECK(trust::default_known_hosts_path() == dir.path() + "/cryptochat/known_hosts");
  if (old != nullptr) {
    ::setenv("XDG_CONFIG_HOME", saved.c_str(), 1);
  } else {
    ::unsetenv("XDG_CONFIG_HOME");
  }
  // NOLINTEND(concurrency-mt-unsafe)
}

TEST_CASE("known_hosts: entries lists the server lines in order with their line numbers") {
  const auto hosts = trust::parse_known_hosts(
      std::string("# c\n\n") + entry("a:1", kFpA) + entry("b:2", kFpB) + entry("a:1", kFpC), "kh");
  const auto entries = hosts.entries();
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].line == 3);
  CHECK(entries[0].address == "a:1");
  CHECK(entries[0].fingerprint == kFpA);
  CHECK(entries[2].line == 5);
  CHECK(entries[2].fingerprint == kFpC);
}

TEST_CASE("known_hosts: remove_known_host drops the address's lines and keeps every other byte") {
  const test::TempDir dir;
  const std::string path = dir.file("known_hosts");
  const std::string kept_head = std::string("# my servers\r\n\n  # indented\n");
  const std::string text = kept_head + "a:1 " + kFpA + "\r\n" + entry("b:2", kFpB) + "a:1\t" +
                           kFpC + "\n" + "c:3 " + kFpC;  // no final newline
  test::write_text(path, text, 0644);
  const auto removed = trust::remove_known_host(path, "a:1");
  REQUIRE(removed.size() == 2);
  CHECK(removed[0].line == 4);
  CHECK(removed[0].fingerprint == kFpA);
  CHECK(removed[1].line == 6);
  CHECK(test::read_text(path) == kept_head + entry("b:2", kFpB) + "c:3 " + kFpC);
  CHECK(test::mode_of(path) == 0600);

  // Nothing to remove: the file is not rewritten.
  const std::string before = test::read_text(path);
  CHECK(trust::remove_known_host(path, "a:1").empty());
  CHECK(trust::remove_known_host(path, "b:3").empty());
  CHECK(test::read_text(path) == before);
  CHECK(trust::remove_known_host(dir.file("missing"), "a:1").empty());
  // Compared in canonical form.
  CHECK(trust::remove_known_host(path, "B.:02").size() == 1);

  // A malformed file is refused and left as it is.
  const std::string bad = entry("b:2", kFpB) + "b:2 SHA256:short\n";
  test::write_text(path, bad);
  CHECK_THROWS_AS(trust::remove_known_host(path, "b:2"), trust::TrustError);
  CHECK(test::read_text(path) == bad);
}
