// Project Wycheproof: RSA-OAEP decryption with SHA-256 and MGF1-SHA-256, through the handshake's
// own crypto::oaep_decrypt_or_random (empty label, decrypt-or-random).
//
// - valid, empty label: the result is msg when msg.size() is the size asked for, and random
//   bytes when another size is asked for (the handshake asks for kSecretSize);
// - valid, non-empty label (EncryptionWithLabel; 8 cases per file): the protocol's empty label
//   must refuse them, so oaep_decrypt_or_random answers random bytes; in addition Botan's own
//   OAEP with the label must decrypt them to msg, checked where the label holds no byte that
//   Botan's algorithm-name parser treats as syntax ("(", ")", ","); those that do are only
//   checked the first way;
// - invalid (InvalidOaepPadding, InvalidCiphertext): oaep_decrypt_or_random does not throw and
//   answers random bytes of the size asked for.
//
// "Random bytes" is checked as: the size asked for, not msg, and different on a second call (a
// decoded plaintext would come out the same both times).
//
#include <doctest/doctest.h>

#include <botan/exceptn.h>
#include <botan/pubkey.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/key_file.hpp"
#include "crypto/key_schedule.hpp"
#include "crypto/random.hpp"
#include "crypto/rsa_ops.hpp"
#include "crypto/wycheproof/wycheproof_support.hpp"

using namespace cryptochat;
namespace wp = cryptochat::test::wycheproof;

namespace {

Botan::secure_vector<std::uint8_t> decrypt_or_random(const crypto::PrivateKey& key,
                                                     const std::vector<std::uint8_t>& ct,
                                                     std::size_t size) {
  return crypto::oaep_decrypt_or_random(key, ct, size, crypto::system_rng());
}

// oaep_decrypt_or_random answers random bytes of the size asked for, without throwing.
void check_random_answer(const crypto::PrivateKey& key, const std::vector<std::uint8_t>& ct,
                         const std::vector<std::uint8_t>& msg, std::size_t size) {
  INFO("size asked for: " << size);
  REQUIRE(size >= 6);  // so that two random answers collide with probability 2^-48 at most
  Botan::secure_vector<std::uint8_t> first;
  Botan::secure_vector<std::uint8_t> second;
  CHECK_NOTHROW(first = decrypt_or_random(key, ct, size));
  CHECK_NOTHROW(second = decrypt_or_random(key, ct, size));
  CHECK(first.size() == size);
  CHECK(second.size() == size);
  CHECK(wp::hex(first) != wp::hex(msg));
  CHECK(wp::hex(first) != wp::hex(second));
}

bool label_is_plain(const std::vector<std::uint8_t>& label) {
  for (const auto b : label) {
    if (b == '(' || b == ')' || b == ',') {
      return false;
    }
  }
  return true;
}

void run_oaep_file(const std::string& file, std::size_t bits) {
  const auto doc = wp::load(file, "RSAES-OAEP");
  wp::Counts counts;
  std::size_t label_cases = 0;
  std::size_t label_cases_botan = 0;
  for (const auto& group : wp::array(doc.at("testGroups"))) {
    REQUIRE(group.at("type").get<std::string>() == "RsaesOaepDecrypt");
    REQUIRE(group.at("sha").get<std::string>() == "SHA-256");
    REQUIRE(group.at("mgf").get<std::string>() == "MGF1");
    REQUIRE(group.at("mgfSha").get<std::string>() == "SHA-256");
    REQUIRE(group.at("keySize").get<std::int64_t>() == static_cast<std::int64_t>(bits));

    const auto der = wp::bytes(group.at("privateKeyPkcs8"));
    const auto key = crypto::parse_private_key(
        std::string_view(reinterpret_cast<const char*>(der.data()), der.size()), file, {});
    REQUIRE(key.bits() == bits);

    for (const auto& test : wp::array(group.at("tests"))) {
      INFO(file << " " << wp::describe(test));
      const auto result = wp::result_of(test);
      const auto msg = wp::bytes(test.at("msg"));
      const auto ct = wp::bytes(test.at("ct"));
      const auto label = wp::bytes(test.at("label"));

      if (result == wp::Result::invalid) {
        check_random_answer(key, ct, msg, msg.size());
        check_random_answer(key, ct, msg, crypto::kSecretSize);
      } else if (label.empty()) {
        Botan::secure_vector<std::uint8_t> out;
        CHECK_NOTHROW(out = decrypt_or_random(key, ct, msg.size()));
        CHECK(wp::hex(out) == wp::hex(msg));
        // A message of another size than the one asked for is refused like a bad padding.
        const std::size_t other = msg.size() == crypto::kSecretSize ? 16 : crypto::kSecretSize;
        check_random_answer(key, ct, msg, other);
      } else {
        ++label_cases;
        check_random_answer(key, ct, msg, msg.size());
        if (label_is_plain(label)) {
          ++label_cases_botan;
          const std::string padding =
              "OAEP(SHA-256,MGF1(SHA-256)," + std::string(label.begin(), label.end()) + ")";
          const Botan::PK_Decryptor_EME dec(key.botan(), crypto::system_rng(), padding);
          Botan::secure_vector<std::uint8_t> out;
          CHECK_NOTHROW(out = dec.decrypt(ct.data(), ct.size()));
          CHECK(wp::hex(out) == wp::hex(msg));
        }
      }
      counts.checked(result);
    }
  }
  wp::check_counts(file, doc, counts);
  CHECK(counts.valid > 0);
  CHECK(counts.invalid > 0);
  CHECK(label_cases_botan > 0);
  if (std::getenv("CRYPTOCHAT_WYCHEPROOF_COUNTS") != nullptr) {
    std::cout << file << ": of the valid ones, " << label_cases << " with a label, "
              << label_cases_botan << " of them also decrypted with the label by Botan\n";
  }
}

}  // namespace

TEST_CASE("wycheproof: RSA-OAEP 2048 SHA-256 MGF1-SHA-256 decrypt-or-random") {
  run_oaep_file("rsa_oaep_2048_sha256_mgf1sha256_test.json", 2048);
}

TEST_CASE("wycheproof: RSA-OAEP 3072 SHA-256 MGF1-SHA-256 decrypt-or-random") {
  run_oaep_file("rsa_oaep_3072_sha256_mgf1sha256_test.json", 3072);
}
