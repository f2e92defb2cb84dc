#include <doctest/doctest.h>
#include <sys/stat.h>

#include <botan/pkcs8.h>
#include <botan/rsa.h>

#include <fstream>
#include <iterator>

#include "crypto/key_file.hpp"
#include "test_support.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

using namespace cryptochat;

namespace {

constexpr const char* kExpected = "SHA256:iglGkwo3rUB4MD/hhlIxc5ViZWfvUth5TNnbEB7pMRk";

crypto::PassphraseProvider fixed(const char* pass) {
  return [pass](const std::string&) -> std::optional<Secret> { return Secret(std::string(pass)); };
}

crypto::PassphraseProvider none() {
  return [](const std::string&) -> std::optional<Secret> { return std::nullopt; };
}

}  // namespace

TEST_CASE("OpenSSL-made private keys load in every accepted form") {
  for (const char* name : {"rsa2048_pkcs8.pem", "rsa2048_traditional.pem"}) {
    CAPTURE(name);
    const auto key = crypto::parse_private_key(test::data_file(name), name, none());
    CHECK(key.bits() == 2048);
    CHECK(key.public_key().fingerprint() == kExpected);
  }
  const auto key = crypto::parse_private_key(test::data_file("rsa2048_encrypted.pem"), "enc",
                                             fixed("correct-horse"));
  CHECK(key.public_key().fingerprint() == kExpected);
}

TEST_CASE("the passphrase is asked only for encrypted keys") {
  int asked = 0;
  const crypto::PassphraseProvider counting =
      [&asked](const std::string&) -> std::optional<Secret> {
    ++asked;
    return Secret(std::string("correct-horse"));
  };
  crypto::parse_private_key(test::data_file("rsa2048_pkcs8.pem"), "plain", counting);
  CHECK(asked == 0);
  crypto::parse_private_key(test::data_file("rsa2048_encrypted.pem"), "enc", counting);
  CHECK(asked == 1);
}

TEST_CASE("bad private keys are refused with one clear KeyError") {
  CHECK_THROWS_WITH_AS(
      crypto::parse_private_key(test::data_file("rsa2048_encrypted.pem"), "enc", fixed("wrong")),
      doctest::Contains("wrong passphrase"), KeyError);
  CHECK_THROWS_WITH_AS(
      crypto::parse_private_key(test::data_file("rsa2048_encrypted.pem"), "enc", none()),
      doctest::Contains("no passphrase was given"), KeyError);
  CHECK_THROWS_WITH_AS(crypto::parse_private_key(test::data_file("rsa1024.pem"), "small", none()),
                       doctest::Contains("too weak"), KeyError);
  CHECK_THROWS_WITH_AS(crypto::parse_private_key(test::data_file("ec_p256.pem"), "ec", none()),
                       doctest::Contains("not an RSA key"), KeyError);
  CHECK_THROWS_WITH_AS(crypto::parse_private_key(test::data_file("rsa2048_pub.pem"), "pub", none()),
                       doctest::Contains("public key"), KeyError);
  CHECK_THROWS_WITH_AS(crypto::parse_private_key("garbage", "junk", none()),
                       doctest::Contains("not a valid private key"), KeyError);

  std::string truncated = test::data_file("rsa2048_pkcs8.pem");
  truncated.resize(truncated.size() / 2);
  CHECK_THROWS_AS(crypto::parse_private_key(truncated, "half", none()), KeyError);

  std::string flipped = test::data_file("rsa2048_pkcs8.pem");
  flipped[200] = flipped[200] == 'A' ? 'B' : 'A';
  CHECK_THROWS_AS(crypto::parse_private_key(flipped, "flipped", none()), KeyError);

  CHECK_THROWS_WITH_AS(
      crypto::parse_private_key(std::string(crypto::kMaxKeyFileBytes + 1, 'x'), "huge", none()),
      doctest::Contains("larger than"), KeyError);
}

TEST_CASE("public keys parse from PEM; private keys are not public keys") {
  CHECK(crypto::parse_public_key(test::data_file("rsa2048_pub.pem"), "pub").fingerprint() ==
        kExpected);
  CHECK_THROWS_AS(crypto::parse_public_key(test::data_file("rsa2048_pkcs8.pem"), "priv"), KeyError);
  CHECK_THROWS_AS(crypto::parse_public_key(
                      "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "junk"),
                  KeyError);
}

TEST_CASE("a private key file readable by others is refused, ssh-style") {
  const test::TempDir dir;
  const auto path = dir.file("identity");
  write_file_atomic(path, test::data_file("rsa2048_pkcs8.pem"), 0644, false);
  CHECK_THROWS_WITH_AS(crypto::load_private_key_file(path, none()),
                       doctest::Contains("permissions 0644"), KeyError);
  ::chmod(path.c_str(), 0600);
  CHECK(crypto::load_private_key_file(path, none()).public_key().fingerprint() == kExpected);
  CHECK(crypto::load_any_key_file(path, none()).fingerprint() == kExpected);
}

TEST_CASE("generated keys round-trip through PKCS#8, plain and encrypted") {
  const auto key = crypto::PrivateKey::generate(2048);
  const Secret none_pass;
  const auto plain = key.pkcs8_pem(none_pass);
  CHECK(crypto::pem_label(plain.view()) == "PRIVATE KEY");
  CHECK(crypto::parse_private_key(plain.view(), "plain", none()).public_key().fingerprint() ==
        key.public_key().fingerprint());

  const Secret pass{std::string("s3cret")};
  const auto encrypted = key.pkcs8_pem(pass);
  CHECK(crypto::pem_label(encrypted.view()) == "ENCRYPTED PRIVATE KEY");
  CHECK(crypto::parse_private_key(encrypted.view(), "enc", fixed("s3cret"))
            .public_key()
            .fingerprint() == key.public_key().fingerprint());
  CHECK_THROWS_AS(crypto::parse_private_key(encrypted.view(), "enc", fixed("nope")), KeyError);
  CHECK_THROWS_AS(crypto::PrivateKey::generate(1024), KeyError);
}

TEST_CASE("encrypted keys asking for huge KDF costs are refused before any derivation") {
  // Found by fuzz_key_file: without this check each took minutes or gigabytes.
  const std::string dir = std::string(TEST_DATA_DIR) + "/../fuzz/findings/";
  struct Case {
    const char* file;
    const char* message;
  };
  for (const Case& c : {Case{"key_file_pbkdf2_8m_iterations.pem", "8388607 iterations"},
                        Case{"key_file_scrypt_n2e22.pem", "N=4194304"},
                        Case{"key_file_scrypt_n2e22_r127_p127.pem", "r=127"}}) {
    CAPTURE(c.file);
    std::ifstream in(dir + c.file, std::ios::binary);
    REQUIRE(in.good());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK_THROWS_WITH_AS(crypto::parse_private_key(text, "hostile", fixed("x")),
                         doctest::Contains(c.message), KeyError);
  }
}

TEST_CASE("a key whose RSA values do not fit together is refused") {
  const auto good = crypto::parse_private_key(test::data_file("rsa2048_pkcs8.pem"), "good", none());
  const Botan::RSA_PrivateKey& k = good.botan();
  const auto refused = [](const Botan::RSA_PrivateKey& bad) {
    const std::string pem = Botan::PKCS8::PEM_encode(bad);
    try {
      crypto::parse_private_key(pem, "bad.pem", none());
    } catch (const KeyError& e) {
      return std::string(e.what()).find("the key is corrupt") != std::string::npos;
    }
    return false;
  };
  // The same values load: the check itself accepts a good key.
  CHECK_FALSE(
      refused(Botan::RSA_PrivateKey(k.get_p(), k.get_q(), k.get_e(), k.get_d(), k.get_n())));
  // Another private exponent (the CRT values are derived from it, so only e*d fails).
  CHECK(refused(Botan::RSA_PrivateKey(k.get_p(), k.get_q(), k.get_e(), k.get_d() + 2, k.get_n())));
  // A modulus that is not p*q.
  CHECK(refused(Botan::RSA_PrivateKey(k.get_p(), k.get_q(), k.get_e(), k.get_d(), k.get_n() + 2)));
}

TEST_CASE("the public half of an unencrypted private key is read without building the key") {
  for (const char* name : {"rsa2048_pkcs8.pem", "rsa2048_traditional.pem", "client_rsa2048.pem"}) {
    CAPTURE(name);
    const std::string bytes = test::data_file(name);
    const auto spki = crypto::public_half_of_private_key(bytes);
    REQUIRE(spki.has_value());
    // Byte for byte what Botan writes for the loaded key.
    CHECK(*spki == crypto::parse_private_key(bytes, name, none()).spki_der());
  }
  // Anything the full loader has to decide or refuse is left to it.
  for (const char* name :
       {"rsa2048_encrypted.pem", "rsa2048_pub.pem", "ec_p256.pem", "rsa1024.pem"}) {
    CAPTURE(name);
    CHECK_FALSE(crypto::public_half_of_private_key(test::data_file(name)).has_value());
  }
  CHECK_FALSE(crypto::public_half_of_private_key("").has_value());
  CHECK_FALSE(crypto::public_half_of_private_key("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END "
                                                 "PRIVATE KEY-----\n")
                  .has_value());
}

TEST_CASE("a deferred key gives its public half at once and the rest when it is loaded") {
  const std::string bytes = test::data_file("rsa2048_pkcs8.pem");
  const auto spki = *crypto::public_half_of_private_key(bytes);
  const auto key = crypto::PrivateKey::deferred(
      spki, [&bytes] { return crypto::parse_private_key(bytes, "k", none()); });
  CHECK(key.spki_der() == spki);
  CHECK(key.fingerprint() == kExpected);
  CHECK(key.bits() == 2048);  // waits for the load
  CHECK(key.public_key().fingerprint() == kExpected);

  // What the load throws comes out of every call that needs the private half.
  const auto failing = crypto::PrivateKey::deferred(
      spki, []() -> crypto::PrivateKey { throw KeyError("k: the key is corrupt"); });
  CHECK(failing.fingerprint() == kExpected);
  CHECK_THROWS_WITH_AS(static_cast<void>(failing.bits()), "k: the key is corrupt", KeyError);
  CHECK_THROWS_AS(static_cast<void>(failing.op_pool()), KeyError);

  // A private key that is not the one of the public half is refused.
  const auto other = crypto::PrivateKey::deferred(spki, [] {
    return crypto::parse_private_key(test::data_file("client_rsa2048.pem"), "c", none());
  });
  CHECK_THROWS_WITH_AS(static_cast<void>(other.bits()), doctest::Contains("does not match"),
                       KeyError);
}

TEST_CASE("a key file is loaded in the background only when nothing has to be decided first") {
  const test::TempDir dir;
  const auto path = dir.file("identity");
  CHECK_FALSE(crypto::start_loading_private_key_file(path).has_value());  // missing
  write_file_atomic(path, test::data_file("rsa2048_pkcs8.pem"), 0644, false);
  CHECK_FALSE(crypto::start_loading_private_key_file(path).has_value());  // too open
  ::chmod(path.c_str(), 0600);
  const auto key = crypto::start_loading_private_key_file(path);
  REQUIRE(key.has_value());
  CHECK(key->fingerprint() == kExpected);
  CHECK(key->bits() == 2048);
  const auto encrypted = dir.file("encrypted");
  write_file_atomic(encrypted, test::data_file("rsa2048_encrypted.pem"), 0600, false);
  CHECK_FALSE(crypto::start_loading_private_key_file(encrypted).has_value());
}
