#include <doctest/doctest.h>
#include <sys/types.h>

#include <string>

#include "test_support.hpp"
#include "trust/authorized_keys.hpp"
#include "trust/trust_error.hpp"
#include "trust/trust_test_support.hpp"
#include "util/error.hpp"

using namespace cryptochat;
using test::kFpA;
using test::kFpB;
using test::kFpC;

namespace {

// An RSA key too small to accept, and a key that is not RSA at all (`openssl pkey -pubout` of
// tests/data/rsa1024.pem and ec_p256.pem).
constexpr const char* kRsa1024Pub =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDQ7OhkCHlPx6kB2R8KyC68VoGd\n"
    "Gw5CwVsbbTClAY6mXEVhL7iGhtFRJVozEIbqQ6QAyhyUDVZsuDsME8Sl5XlgaJdR\n"
    "EGNzh7akwPL2aE2/iAVhyvbRlLwcG8620PtxsVv55+eZDq0tydfhABv9VFQ2fwCI\n"
    "72eapkHd6TNKDejWQwIDAQAB\n"
    "-----END PUBLIC KEY-----\n";
constexpr const char* kEcPub =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAESnOt3VJRcQkoIMOscfJYYAJ0VPDp\n"
    "XbCACZ6JPy2X0X23QRS5F9fehKX62lXSJWDbqS+BEArPIVWX8br1Tjg7aA==\n"
    "-----END PUBLIC KEY-----\n";

std::string pub_pem() {
  return test::data_file("rsa2048_pub.pem");
}

std::string with_crlf(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '\n') {
      out += '\r';
    }
    out += c;
  }
  return out;
}

// Expects parse_authorized_keys to refuse text with a message starting "ak:<line>: ".
void check_refused_at(const std::string& text, int line, const char* why) {
  CHECK_THROWS_WITH_AS(trust::parse_authorized_keys(text, "ak"),
                       doctest::Contains(("ak:" + std::to_string(line) + ": " + why).c_str()),
                       trust::TrustError);
}

}  // namespace

TEST_CASE("authorized_keys: PEM blocks and fingerprints mixed") {
  const std::string text = "# the team\n\n" + std::string(kFpB) + "\n" + pub_pem() + "\n" + "\t" +
                           kFpC + "\talice's laptop  \n" + "  # done\n";
  const auto keys = trust::parse_authorized_keys(text, "ak");
  CHECK(keys.size() == 3);
  CHECK(keys.allows(kFpA));  // the fingerprint of the PEM block
  CHECK(keys.allows(kFpB));
  CHECK(keys.allows(kFpC));
  CHECK_FALSE(keys.allows("SHA256:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"));
  CHECK_FALSE(keys.allows(""));
  CHECK_FALSE(keys.allows(std::string(kFpA) + " "));
}

TEST_CASE("authorized_keys: CRLF line ends and indented PEM blocks are tolerated") {
  std::string indented;
  for (const char c : pub_pem()) {
    indented += c;
    if (c == '\n') {
      indented += "  ";
    }
  }
  const auto keys = trust::parse_authorized_keys(
      with_crlf("  " + indented + "\n" + std::string(kFpB) + " bob\n"), "ak");
  CHECK(keys.size() == 2);
  CHECK(keys.allows(kFpA));
  CHECK(keys.allows(kFpB));
}

TEST_CASE("authorized_keys: duplicates count once") {
  const auto keys = trust::parse_authorized_keys(
      pub_pem() + kFpA + "\n" + pub_pem() + kFpA + " again\n" + kFpB + "\n", "ak");
  CHECK(keys.size() == 2);
  CHECK(keys.allows(kFpA));
}

TEST_CASE("authorized_keys: malformed lines are refused with their line number") {
  const std::string head = std::string("# c\n") + kFpB + "\n";  // the bad line is line 3
  check_refused_at(head + "SHA256:short\n", 3, "malformed fingerprint");
  check_refused_at(head + kFpA + "# no space before the comment\n", 3, "malformed fingerprint");
  check_refused_at(head + "ssh-rsa AAAAB3NzaC1yc2E alice\n", 3, "not a valid OpenSSH key");
  check_refused_at(head + "alice\n", 3, "expected a SHA256: fingerprint, an ssh-rsa key line");
  check_refused_at(head + "iglGkwo3rUB4MD/hhlIxc5ViZWfvUth5TNnbEB7pMRk\n", 3, "expected");
  check_refused_at(head + std::string("\x01") + kFpA + "\n", 3, "expected");
  check_refused_at(head + "# " + std::string(1100, 'x') + "\n", 3, "the line is longer");
}

TEST_CASE("authorized_keys: a private key block is refused") {
  const std::string head = std::string(kFpB) + "\n";
  check_refused_at(head + test::data_file("rsa2048_pkcs8.pem"), 2, "a private key does not");
  check_refused_at(head + test::data_file("rsa2048_traditional.pem"), 2, "a private key does not");
  check_refused_at(head + test::data_file("rsa2048_encrypted.pem"), 2, "a private key does not");
  check_refused_at(head + "-----END PUBLIC KEY-----\n", 2, "a PEM line outside any");
  check_refused_at(head + "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", 2,
                   "only -----BEGIN PUBLIC KEY-----");
}

TEST_CASE("authorized_keys: broken or unacceptable PEM public keys are refused") {
  const std::string head = std::string(kFpB) + "\n\n";  // the block starts on line 3
  const std::string pem = pub_pem();
  const auto body = pem.find('\n') + 1;

  check_refused_at(head + "-----BEGIN PUBLIC KEY-----\nnot base64 !!!\n-----END PUBLIC KEY-----\n",
                   3, "not a valid public key");
  check_refused_at(head + "-----BEGIN PUBLIC KEY-----\nAAAAAAAA\n-----END PUBLIC KEY-----\n", 3,
                   "not a valid public key");
  check_refused_at(head + "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n", 3,
                   "not a valid public key");
  std::string flipped = pem;
  flipped[body + 10] = flipped[body + 10] == 'A' ? 'B' : 'A';  // inside the key's header
  check_refused_at(head + flipped, 3, "");
  check_refused_at(head + kRsa1024Pub, 3, "public key: a 1024-bit RSA key is too weak");
  check_refused_at(head + kEcPub, 3, "not an RSA public key");

  // Unclosed, truncated, or nested blocks.
  check_refused_at(head + pem.substr(0, pem.size() - 26), 3, "the PEM block has no -----END");
  check_refused_at(head + pem.substr(0, body) + pem, 4, "unexpected PEM line");
  check_refused_at(head + pem.substr(0, body) + "-----END PRIVATE KEY-----\n", 4,
                   "unexpected PEM line");
  // Text after the END marker on the same line is not the END line.
  check_refused_at(head + pem.substr(0, pem.size() - 1) + " x\n", 11, "unexpected PEM line");
}

TEST_CASE("authorized_keys: an allow list with no keys is refused") {
  for (const char* text : {"", "\n\n", "# only\n# comments\n", "  \t\r\n"}) {
    CAPTURE(text);
    CHECK_THROWS_WITH_AS(trust::parse_authorized_keys(text, "ak"),
                         doctest::Contains("ak: no keys in the file"), trust::TrustError);
  }
}

TEST_CASE("authorized_keys: oversized files and too many keys are refused") {
  const std::size_t mib = std::size_t{1024} * 1024;
  CHECK_THROWS_WITH_AS(trust::parse_authorized_keys(std::string(mib + 1, '\n'), "ak"),
                       doctest::Contains("larger than"), trust::TrustError);

  std::string many;
  for (int i = 0; i < 10000; ++i) {
    many += kFpA;
    many += '\n';
  }
  CHECK(trust::parse_authorized_keys(many, "ak").size() == 1);
  check_refused_at(many + kFpB + "\n", 10001, "more than 10000 keys");

  const test::TempDir dir;
  const std::string big = dir.file("big");
  test::write_text(big, std::string(mib + 1, '#'));
  CHECK_THROWS_WITH_AS(trust::AuthorizedKeys::load(big), doctest::Contains("larger than"), IoError);
}

TEST_CASE("authorized_keys: load reads the file and refuses to start open") {
  const test::TempDir dir;
  const std::string path = dir.file("authorized");
  CHECK_THROWS_AS(trust::AuthorizedKeys::load(path), IoError);        // missing
  CHECK_THROWS_AS(trust::AuthorizedKeys::load(dir.path()), IoError);  // a folder

  test::write_text(path, pub_pem() + kFpB + "\n", 0644);
  const auto keys = trust::AuthorizedKeys::load(path);
  CHECK(keys.size() == 2);
  CHECK(keys.allows(kFpA));

  for (const mode_t mode : {0666, 0620, 0602}) {
    test::write_text(path, pub_pem(), mode);
    CHECK_THROWS_WITH_AS(trust::AuthorizedKeys::load(path), doctest::Contains("chmod go-w"),
                         IoError);
  }

  test::write_text(path, "# nobody\n", 0600);
  CHECK_THROWS_WITH_AS(trust::AuthorizedKeys::load(path),
                       doctest::Contains((path + ": no keys in the file").c_str()),
                       trust::TrustError);

  test::write_text(path, std::string(kFpB) + "\nbad\n", 0600);
  CHECK_THROWS_WITH_AS(trust::AuthorizedKeys::load(path),
                       doctest::Contains((path + ":2: ").c_str()), trust::TrustError);
}

TEST_CASE("authorized_keys: OpenSSH ssh-rsa lines, as in an id_rsa.pub") {
  // tests/data/ssh_rsa2048.pub; its protocol fingerprint (tests/data/README.md).
  const std::string line = test::data_file("ssh_rsa2048.pub");
  const char* fp = "SHA256:S3431WJQIAzpHKqb0SlXkv+LF+d+t63ieax9CObnBeY";
  const auto keys =
      trust::parse_authorized_keys(std::string("# alice\n") + kFpB + "\n  " + line, "ak");
  CHECK(keys.size() == 2);
  CHECK(keys.allows(fp));
  CHECK(keys.allows(kFpB));
  CHECK(trust::parse_authorized_keys(with_crlf(line), "ak").allows(fp));

  const std::string head = std::string("# c\n") + kFpB + "\n";
  // Restricted keys of ssh's authorized_keys are refused, not admitted unrestricted.
  check_refused_at(head + "from=\"10.0.0.1\" " + line, 3, "the key has ssh options before it");
  check_refused_at(head + "command=\"/bin/true\",no-pty " + line, 3, "the key has ssh options");
  check_refused_at(head + "restrict " + line, 3, "the key has ssh options");
  // Other key types are named.
  check_refused_at(head + test::data_file("ssh_ed25519.pub"), 3,
                   "this is an ssh-ed25519 key; cryptochat uses RSA keys");
  check_refused_at(head + "ssh-rsa " + std::string(5000, 'A') + "\n", 3, "the line is longer");
}
