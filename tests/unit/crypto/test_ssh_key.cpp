#include <doctest/doctest.h>
#include <sys/stat.h>

#include <botan/data_src.h>
#include <botan/pem.h>

#include <cstdint>
#include <string>
#include <vector>

#include "crypto/key_file.hpp"
#include "crypto/ssh_key.hpp"
#include "test_support.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

using namespace cryptochat;

namespace {

// tests/data/ssh_rsa2048* are one key in ssh-keygen's forms (tests/data/README.md).
constexpr const char* kProtocolFp = "SHA256:S3431WJQIAzpHKqb0SlXkv+LF+d+t63ieax9CObnBeY";
constexpr const char* kSshFp = "SHA256:ozso/sZSz6DT4Y1nr2Owrct1Y+VsCUMA0U4rBESH9Ks";  // -lf

crypto::PassphraseProvider fixed(const char* pass, int* asked = nullptr) {
  return [pass, asked](const std::string&) -> std::optional<Secret> {
    if (asked != nullptr) {
      ++*asked;
    }
    return Secret(std::string(pass));
  };
}

crypto::PassphraseProvider none() {
  return [](const std::string&) -> std::optional<Secret> { return std::nullopt; };
}

using Bytes = std::vector<std::uint8_t>;

// The fields of an openssh-key-v1 file, to build hostile variants of a real one.
struct OpensshFile {
  std::string cipher;
  std::string kdf;
  Bytes kdf_options;
  std::uint32_t keys = 1;
  Bytes public_blob;
  Bytes private_section;
};

std::uint32_t get_u32(const Bytes& b, std::size_t& at) {
  const std::uint32_t v = (std::uint32_t{b.at(at)} << 24U) | (std::uint32_t{b.at(at + 1)} << 16U) |
                          (std::uint32_t{b.at(at + 2)} << 8U) | std::uint32_t{b.at(at + 3)};
  at += 4;
  return v;
}

Bytes get_string(const Bytes& b, std::size_t& at) {
  const std::uint32_t n = get_u32(b, at);
  Bytes out(b.begin() + static_cast<std::ptrdiff_t>(at),
            b.begin() + static_cast<std::ptrdiff_t>(at + n));
  at += n;
  return out;
}

void put_u32(Bytes& b, std::uint32_t v) {
  for (const unsigned shift : {24U, 16U, 8U, 0U}) {
    b.push_back(static_cast<std::uint8_t>((v >> shift) & 0xFFU));
  }
}

void put_string(Bytes& b, const Bytes& s) {
  put_u32(b, static_cast<std::uint32_t>(s.size()));
  b.insert(b.end(), s.begin(), s.end());
}

Bytes bytes_of(const std::string& s) {
  return {s.begin(), s.end()};
}

OpensshFile split(const std::string& pem) {
  Botan::DataSource_Memory source(pem);
  std::string label;
  const auto der = Botan::PEM_Code::decode(source, label);
  const Bytes b(der.begin(), der.end());
  std::size_t at = 15;
  OpensshFile f;
  const Bytes cipher = get_string(b, at);
  const Bytes kdf = get_string(b, at);
  f.cipher.assign(cipher.begin(), cipher.end());
  f.kdf.assign(kdf.begin(), kdf.end());
  f.kdf_options = get_string(b, at);
  f.keys = get_u32(b, at);
  f.public_blob = get_string(b, at);
  f.private_section = get_string(b, at);
  return f;
}

std::string join(const OpensshFile& f) {
  Bytes b = bytes_of(std::string("openssh-key-v1", 15));
  put_string(b, bytes_of(f.cipher));
  put_string(b, bytes_of(f.kdf));
  put_string(b, f.kdf_options);
  put_u32(b, f.keys);
  put_string(b, f.public_blob);
  put_string(b, f.private_section);
  return Botan::PEM_Code::encode(b, "OPENSSH PRIVATE KEY", 70);
}

void check_refused(const std::string& text, const char* fragment,
                   const crypto::PassphraseProvider& pass = none()) {
  CAPTURE(fragment);
  CHECK_THROWS_WITH_AS(crypto::parse_private_key(text, "id_rsa", pass), doctest::Contains(fragment),
                       KeyError);
}

}  // namespace

TEST_CASE("ssh-keygen's RSA private keys load: OpenSSH format plain and encrypted, and -m PEM") {
  for (const char* name : {"ssh_rsa2048", "ssh_rsa2048_pem"}) {
    CAPTURE(name);
    const auto key = crypto::parse_private_key(test::data_file(name), name, none());
    CHECK(key.bits() == 2048);
    CHECK(key.fingerprint() == kProtocolFp);
    CHECK(crypto::ssh_fingerprint(key.public_key().botan()) == kSshFp);
  }
  int asked = 0;
  const auto key = crypto::parse_private_key(test::data_file("ssh_rsa2048_encrypted"), "enc",
                                             fixed("correct-horse", &asked));
  CHECK(asked == 1);
  CHECK(key.fingerprint() == kProtocolFp);
  asked = 0;
  static_cast<void>(
      crypto::parse_private_key(test::data_file("ssh_rsa2048"), "plain", fixed("x", &asked)));
  CHECK(asked == 0);
}

TEST_CASE("an encrypted OpenSSH key without the right passphrase is refused clearly") {
  const std::string text = test::data_file("ssh_rsa2048_encrypted");
  check_refused(text, "wrong passphrase", fixed("correct-horsf"));
  check_refused(text, "no passphrase was given", none());
  check_refused(text, "no passphrase was given", fixed(""));
}

TEST_CASE("ssh-keygen -m PEM with a passphrase is refused with the command that converts it") {
  check_refused(test::data_file("ssh_rsa2048_pem_encrypted"), "ssh-keygen -p -m PKCS8 -f id_rsa",
                fixed("correct-horse"));
}

TEST_CASE("OpenSSH public key lines are read wherever a public key is") {
  const std::string line = test::data_file("ssh_rsa2048.pub");
  const auto key = crypto::parse_public_key(line, "id_rsa.pub");
  CHECK(key.bits() == 2048);
  CHECK(key.fingerprint() == kProtocolFp);
  CHECK(crypto::ssh_fingerprint(key.botan()) == kSshFp);
  // Without a comment, with blanks and a "\r\n", too.
  const std::string bare = line.substr(0, line.find(' ', 8));
  CHECK(crypto::parse_public_key("  " + bare + "\r\n", "bare").fingerprint() == kProtocolFp);
  // A public key is not a private key.
  CHECK_THROWS_WITH_AS(crypto::parse_private_key(line, "id_rsa.pub", none()),
                       doctest::Contains("this is a public key"), KeyError);
  // And an OpenSSH private key is not a public one.
  CHECK_THROWS_WITH_AS(crypto::parse_public_key(test::data_file("ssh_rsa2048"), "id_rsa"),
                       doctest::Contains("not a public key"), KeyError);
}

TEST_CASE("other ssh key types are named, with how to make an RSA key") {
  for (const char* name : {"ssh_ed25519.pub", "ssh_ecdsa.pub"}) {
    CAPTURE(name);
    CHECK_THROWS_WITH_AS(crypto::parse_public_key(test::data_file(name), "k.pub"),
                         doctest::Contains("cryptochat uses RSA keys: make one with 'ssh-keygen "
                                           "-t rsa -b 3072' or 'cryptochat keygen'"),
                         KeyError);
  }
  CHECK_THROWS_WITH_AS(crypto::parse_public_key(test::data_file("ssh_ed25519.pub"), "k.pub"),
                       doctest::Contains("k.pub: this is an ssh-ed25519 key;"), KeyError);
  CHECK_THROWS_WITH_AS(crypto::parse_public_key(test::data_file("ssh_ecdsa.pub"), "k.pub"),
                       doctest::Contains("k.pub: this is an ecdsa-sha2-nistp256 key;"), KeyError);
  // The private key says so too, and no passphrase is asked for it.
  int asked = 0;
  CHECK_THROWS_WITH_AS(
      crypto::parse_private_key(test::data_file("ssh_ed25519"), "id_ed25519", fixed("x", &asked)),
      doctest::Contains("id_ed25519: this is an ssh-ed25519 key;"), KeyError);
  CHECK(asked == 0);
}

TEST_CASE("malformed OpenSSH public key lines are refused with one KeyError") {
  const std::string line = test::data_file("ssh_rsa2048.pub");
  const std::string data = line.substr(8, line.find(' ', 8) - 8);
  for (const std::string& bad : {
           std::string("ssh-rsa"), std::string("ssh-rsa !!!!"),
           "ssh-rsa " + data.substr(0, data.size() / 2), "ssh-rsa " + data + "\nssh-rsa " + data,
           "ssh-ed25519 " + data,  // the line's type and the data's differ
           "ssh-rsa " + std::string(5000, 'A'),
           std::string("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAAQE="),  // an empty-ish modulus
       }) {
    CAPTURE(bad);
    CHECK_THROWS_AS(crypto::parse_public_key(bad, "bad.pub"), KeyError);
  }
}

TEST_CASE("hostile OpenSSH private keys are refused before anything costly") {
  const OpensshFile plain = split(test::data_file("ssh_rsa2048"));
  CHECK(crypto::parse_private_key(join(plain), "rebuilt", none()).fingerprint() == kProtocolFp);

  OpensshFile f = plain;
  f.keys = 2;
  check_refused(join(f), "holds 2 keys");

  f = plain;
  f.private_section.back() ^= 1U;  // the last padding byte
  check_refused(join(f), "padding");

  f = plain;
  f.private_section[0] ^= 1U;  // checkint1
  check_refused(join(f), "check values differ");

  f = plain;
  f.cipher = "chacha20-poly1305@openssh.com";
  f.kdf = "bcrypt";
  check_refused(join(f), "ssh-keygen -p -Z aes256-ctr");

  f = plain;
  f.kdf = "bcrypt";
  check_refused(join(f), "names a KDF");

  f = plain;
  f.private_section.pop_back();
  check_refused(join(f), "whole number of blocks");

  // A length field past the end, or over its bound, is caught before it is used.
  f = plain;
  f.public_blob[3] = 0xFF;  // the key type's length
  check_refused(join(f), "not a valid OpenSSH key");

  // The public key in the file must be the private key's.
  f = plain;
  const crypto::PublicKey pub = crypto::parse_public_key(test::data_file("ssh_rsa2048.pub"), "p");
  Botan::BigInt n2 = pub.botan().get_n() + 2;  // same size, still odd
  f.public_blob = crypto::ssh_rsa_blob(n2, pub.botan().get_e());
  check_refused(join(f), "does not match its public key");

  // A huge bcrypt round count is refused before the passphrase is asked.
  OpensshFile enc = split(test::data_file("ssh_rsa2048_encrypted"));
  const std::size_t rounds_at = enc.kdf_options.size() - 4;
  enc.kdf_options[rounds_at] = 0x7F;
  int asked = 0;
  check_refused(join(enc), "bcrypt rounds", fixed("correct-horse", &asked));
  CHECK(asked == 0);

  CHECK_THROWS_AS(
      crypto::parse_private_key(
          "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n", "x",
          none()),
      KeyError);
}

TEST_CASE("an OpenSSH private key file is held to the private-key mode rule; its .pub is not") {
  const test::TempDir dir;
  const auto key = dir.file("id_rsa");
  write_file_atomic(key, test::data_file("ssh_rsa2048"), 0644, false);
  CHECK_THROWS_WITH_AS(crypto::load_private_key_file(key, none()),
                       doctest::Contains("UNPROTECTED PRIVATE KEY FILE"), KeyError);
  CHECK_THROWS_WITH_AS(crypto::load_any_key_file(key, none()),
                       doctest::Contains("UNPROTECTED PRIVATE KEY FILE"), KeyError);
  ::chmod(key.c_str(), 0600);
  CHECK(crypto::load_private_key_file(key, none()).fingerprint() == kProtocolFp);
  const auto pub = dir.file("id_rsa.pub");
  write_file_atomic(pub, test::data_file("ssh_rsa2048.pub"), 0644, false);
  CHECK(crypto::load_any_key_file(pub, none()).fingerprint() == kProtocolFp);
  const auto ed = dir.file("id_ed25519.pub");
  write_file_atomic(ed, test::data_file("ssh_ed25519.pub"), 0644, false);
  CHECK_THROWS_WITH_AS(crypto::load_any_key_file(ed, none()),
                       doctest::Contains("is an ssh-ed25519 key"), KeyError);
}

TEST_CASE("the OpenSSH fingerprint hashes the ssh encoding, the protocol's the SPKI") {
  const auto key = crypto::parse_private_key(test::data_file("rsa2048_pkcs8.pem"), "k", none());
  const auto pub = key.public_key();
  CHECK(crypto::ssh_fingerprint(pub.botan()) != pub.fingerprint());
  const auto blob = crypto::ssh_rsa_blob(pub.botan().get_n(), pub.botan().get_e());
  // string "ssh-rsa", mpint e = 65537 (3 bytes), mpint n with a leading zero (high bit set).
  REQUIRE(blob.size() == 4 + 7 + 4 + 3 + 4 + 257);
  CHECK(blob[4 + 7 + 4 + 3 + 4] == 0);
}

TEST_CASE("an unencrypted OpenSSH key's public half is read ahead, so it loads in the background") {
  const std::string bytes = test::data_file("ssh_rsa2048");
  const auto spki = crypto::public_half_of_private_key(bytes);
  REQUIRE(spki.has_value());
  CHECK(*spki == crypto::parse_private_key(bytes, "k", none()).spki_der());
  for (const char* name : {"ssh_rsa2048_encrypted", "ssh_ed25519", "ssh_rsa2048.pub"}) {
    CAPTURE(name);
    CHECK_FALSE(crypto::public_half_of_private_key(test::data_file(name)).has_value());
  }
  const test::TempDir dir;
  const auto path = dir.file("id_rsa");
  write_file_atomic(path, bytes, 0600, false);
  const auto key = crypto::start_loading_private_key_file(path);
  REQUIRE(key.has_value());
  CHECK(key->fingerprint() == kProtocolFp);
  CHECK(key->bits() == 2048);
}
