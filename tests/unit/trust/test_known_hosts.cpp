#include <doctest/doctest.h>

#include <sys/stat.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "test_support.hpp"
#include "trust/known_hosts.hpp"
#include "trust/trust_error.hpp"
#include "trust/trust_test_support.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

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

TEST_CASE("known_hosts: each malformed line is kept, named with its line number, and skipped") {
  const std::string good = entry("good:1", kFpA);
  struct Case {
    const char* name;
    std::string line;
    bool names_host;  // its first field still reads as host:1
  };
  const Case cases[] = {
      {"address only", "host:1\n", true},
      {"no SHA256 prefix", "host:1 iglGkwo3rUB4MD/hhlIxc5ViZWfvUth5TNnbEB7pMRk\n", true},
      {"fingerprint too short", "host:1 SHA256:iglGkwo3rUB4MD/hhlIxc5ViZWfvUth5TNnbEB7pMR\n", true},
      {"fingerprint too long", "host:1 SHA256:iglGkwo3rUB4MD/hhlIxc5ViZWfvUth5TNnbEB7pMRkk\n",
       true},
      {"fingerprint padded", "host:1 SHA256:iglGkwo3rUB4MD/hhlIxc5ViZWfvUth5TNnbEB7pMR=\n", true},
      {"fingerprint not base64", "host:1 SHA256:iglGkwo3rUB4MD/hhlIxc5ViZWfvUth5TNnbEB7pM-k\n",
       true},
      {"MD5 style", "host:1 MD5:12:34:56\n", true},
      {"fingerprint first", std::string(kFpA) + " host:1\n", false},
      {"trailing text", std::string("host:1 ") + kFpA + " comment\n", true},
      {"another spelling", std::string("HOST.:01 ") + kFpA + " comment\n", true},
      {"control character in address", std::string("ho\x01st:1 ") + kFpA + "\n", false},
      {"DEL in address", std::string("ho\x7fst:1 ") + kFpA + "\n", false},
      {"NUL in address", std::string("ho\0st:1 ", 8) + kFpA + "\n", false},
      {"stray CR in the middle", std::string("host:1\r") + kFpA + "\n", false},
      {"vertical tab separator", std::string("host:1\v") + kFpA + "\n", false},
      {"address over 300 bytes", entry(std::string(301, 'a'), kFpA), false},
      {"line over 1024 bytes", std::string(1000, ' ') + entry("host:1", kFpA), true},
      {"bad hashed address", std::string("|1|AAAA|AAAA ") + kFpA + "\n", false},
      {"hashed address of another kind",
       std::string("|2|AQIDBAUGBwgJCgsMDQ4PEBESExQ=|x ") + kFpA + "\n", false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const std::string text = good + "# two\n" + c.line + entry("other:2", kFpB);
    const auto hosts = trust::parse_known_hosts(text, "kh");
    // The other lines still count.
    CHECK(hosts.lookup("good:1") == kFpA);
    CHECK(hosts.lookup("other:2") == kFpB);
    CHECK_FALSE(hosts.lookup("host:1").has_value());
    const auto bad = hosts.malformed();
    REQUIRE(bad.size() == 1);
    CHECK(bad[0].line == 3);
    CHECK_FALSE(bad[0].malformed.empty());
    const auto warnings = hosts.malformed_warnings();
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].starts_with(malformed_at(3) + " ("));
    CHECK(warnings[0].ends_with("), skipped"));
    CHECK(warnings[0].find('\n') == std::string::npos);
    CHECK(hosts.malformed_entry_for("host:1").has_value() == c.names_host);
    CHECK_FALSE(hosts.malformed_entry_for("good:1").has_value());
    CHECK(hosts.entries().size() == 2);  // not listed
  }
}

TEST_CASE("known_hosts: a malformed line is written back as it was") {
  const test::TempDir dir;
  const std::string path = dir.file("known_hosts");
  const std::string text =
      entry("a:1", kFpA) + "  host:1   SHA256:short  \n" + "|1|AAAA|AAAA " + kFpB + "\n";
  test::write_text(path, text);
  auto hosts = trust::KnownHosts::load(path);
  CHECK(hosts.malformed().size() == 2);
  hosts.set("b:2", kFpC);
  hosts.save();
  CHECK(test::read_text(path) == text + entry("b:2", kFpC));
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

TEST_CASE("known_hosts: a missing file is empty, an oversized one throws, a malformed one loads") {
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
  const auto loaded = trust::KnownHosts::load(bad);
  REQUIRE(loaded.malformed_warnings().size() == 1);
  CHECK(loaded.malformed_warnings()[0].starts_with(bad + ":2: malformed known_hosts entry ("));

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

  // A malformed line that names the address goes too; one of another server stays as it is.
  const std::string other_bad = "c:3 SHA256:short\n";
  test::write_text(path, entry("b:2", kFpB) + "b:2 SHA256:short\n" + other_bad);
  const auto gone = trust::remove_known_host(path, "b:2");
  REQUIRE(gone.size() == 2);
  CHECK(gone[0].malformed.empty());
  CHECK(gone[1].line == 2);
  CHECK_FALSE(gone[1].malformed.empty());
  CHECK(test::read_text(path) == other_bad);
}

namespace {

// PROTOCOL.md section 7's example: the salt 01 02 .. 14 (hex) and HMAC-SHA1(salt,
// "example.org:5000"), as Python's hmac makes it.
const std::string kHashedExample = "|1|AQIDBAUGBwgJCgsMDQ4PEBESExQ=|HsT3jGX2hzlyZmEdVzshrPoKBHA=";

std::vector<std::uint8_t> example_salt() {
  std::vector<std::uint8_t> salt(20);
  for (std::size_t i = 0; i < salt.size(); ++i) {
    salt[i] = static_cast<std::uint8_t>(i + 1);
  }
  return salt;
}

}  // namespace

TEST_CASE("known_hosts: a hashed address is ssh's |1|base64(salt)|base64(HMAC-SHA1)") {
  CHECK(trust::hashed_address("example.org:5000", example_salt()) == kHashedExample);
  // Of the canonical form.
  CHECK(trust::hashed_address("EXAMPLE.org.:05000", example_salt()) == kHashedExample);
  CHECK_THROWS(trust::hashed_address("example.org:5000", std::vector<std::uint8_t>(19)));
  // A fresh salt each time.
  const std::string one = trust::hashed_address("example.org:5000");
  CHECK(one.starts_with("|1|"));
  CHECK(one.size() == kHashedExample.size());
  CHECK(one != trust::hashed_address("example.org:5000"));
}

TEST_CASE("known_hosts: hashed lines are found by address, listed as hashed") {
  const std::string text = "# c\n" + kHashedExample + " " + kFpA + "\n" + entry("b:2", kFpB);
  const auto hosts = trust::parse_known_hosts(text, "kh");
  CHECK(hosts.malformed().empty());
  CHECK(hosts.lookup("example.org:5000") == kFpA);
  CHECK(hosts.lookup("Example.Org.:5000") == kFpA);
  CHECK_FALSE(hosts.lookup("example.org:5001").has_value());
  CHECK_FALSE(hosts.lookup(kHashedExample).has_value());  // the field itself is no address
  const auto entries = hosts.entries();
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].hashed);
  CHECK(entries[0].address == kHashedExample);
  CHECK(entries[0].line == 2);
  CHECK_FALSE(entries[1].hashed);
  const auto found = hosts.entries_for("example.org:5000");
  REQUIRE(found.size() == 1);
  CHECK(found[0].fingerprint == kFpA);
  // A malformed hashed line still names its server, which is then not a first contact.
  const auto bad = trust::parse_known_hosts(kHashedExample + " SHA256:short\n", "kh");
  CHECK(bad.malformed_entry_for("example.org:5000").has_value());
  CHECK_FALSE(bad.malformed_entry_for("example.org:5001").has_value());
}

TEST_CASE("known_hosts: set writes hashed lines on request and replaces either kind") {
  const test::TempDir dir;
  const std::string path = dir.file("known_hosts");
  auto hosts = trust::parse_known_hosts(
      "# head\n" + kHashedExample + " " + kFpA + "\n" + entry("b:2", kFpB), path);
  hosts.set("example.org:5000", kFpC);  // a plain line in the hashed one's place
  hosts.set("b:2", kFpA, true);         // a hashed line in the plain one's place
  hosts.set("new:3", kFpB, true);
  hosts.save();
  const std::string text = test::read_text(path);
  CHECK(text.starts_with("# head\n" + entry("example.org:5000", kFpC) + "|1|"));
  CHECK(text.find("b:2") == std::string::npos);
  CHECK(text.find("new:3") == std::string::npos);
  const auto again = trust::KnownHosts::load(path);
  CHECK(again.lookup("example.org:5000") == kFpC);
  CHECK(again.lookup("b:2") == kFpA);
  CHECK(again.lookup("new:3") == kFpB);
  CHECK(again.entries().size() == 3);
}

TEST_CASE("known_hosts: hash_known_hosts hashes the plain lines and keeps the rest") {
  const test::TempDir dir;
  const std::string path = dir.file("known_hosts");
  const std::string kept_comment = "# my servers\n";
  const std::string kept_bad = "broken line\n";
  test::write_text(path, kept_comment + entry("A.example:01", kFpA) + kept_bad + kHashedExample +
                             " " + kFpB + "\n" + entry("[::1]:5", kFpC));
  CHECK(trust::hash_known_hosts(path) == 2);
  const std::string text = test::read_text(path);
  CHECK(text.starts_with(kept_comment + "|1|"));
  CHECK(text.find(kept_bad) != std::string::npos);
  CHECK(text.find(kHashedExample + " " + kFpB) != std::string::npos);  // already hashed: as is
  CHECK(text.find("example:") == std::string::npos);
  CHECK(text.find("::1") == std::string::npos);
  CHECK(test::mode_of(path) == 0600);
  const auto hosts = trust::KnownHosts::load(path);
  CHECK(hosts.lookup("a.example:1") == kFpA);
  CHECK(hosts.lookup("example.org:5000") == kFpB);
  CHECK(hosts.lookup("[0::1]:5") == kFpC);
  // Nothing left to hash: the file is not rewritten.
  CHECK(trust::hash_known_hosts(path) == 0);
  CHECK(test::read_text(path) == text);
  CHECK(trust::hash_known_hosts(dir.file("missing")) == 0);
  CHECK_FALSE(path_exists(dir.file("missing")));
  // remove finds hashed lines by address.
  const auto removed = trust::remove_known_host(path, "A.EXAMPLE:1");
  REQUIRE(removed.size() == 1);
  CHECK(removed[0].hashed);
  CHECK_FALSE(trust::KnownHosts::load(path).lookup("a.example:1").has_value());
}

TEST_CASE("known_hosts: writes refuse a file or lock file others can write, as reads do") {
  const test::TempDir dir;
  const std::string path = dir.file("known_hosts");
  const std::string text = entry("a:1", kFpA);
  test::write_text(path, text, 0664);
  // Read as a KnownHosts made from text (load would refuse it first), saved over the file.
  auto hosts = trust::parse_known_hosts(text, path);
  hosts.set("b:2", kFpB);
  CHECK_THROWS_WITH_AS(hosts.save(), doctest::Contains("permissions 0664"), IoError);
  CHECK_THROWS_WITH_AS(trust::remove_known_host(path, "a:1"), doctest::Contains("permissions 0664"),
                       IoError);
  CHECK_THROWS_WITH_AS(trust::hash_known_hosts(path), doctest::Contains("permissions 0664"),
                       IoError);
  CHECK(test::read_text(path) == text);
  CHECK(test::mode_of(path) == 0664);

  ::chmod(path.c_str(), 0600);
  test::write_text(path + ".lock", "", 0666);
  CHECK_THROWS_WITH_AS(trust::KnownHostsLock{path},
                       doctest::Contains(("permissions 0666 for '" + path + ".lock'").c_str()),
                       IoError);
  CHECK_THROWS_AS(trust::remove_known_host(path, "a:1"), IoError);
  CHECK(test::read_text(path) == text);
  ::chmod((path + ".lock").c_str(), 0600);
  CHECK(trust::remove_known_host(path, "a:1").size() == 1);
}
