// Project Wycheproof: RSA-PSS verification with SHA-256, MGF1-SHA-256 and a 32-byte salt,
// through the handshake's own crypto::pss_verify with the key loaded by
// crypto::PublicKey::from_spki. valid: accepted; invalid: refused; acceptable: either, as long
// as nothing throws.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "crypto/keys.hpp"
#include "crypto/rsa_ops.hpp"
#include "wycheproof/wycheproof_support.hpp"

using namespace cryptochat;
namespace wp = cryptochat::test::wycheproof;

namespace {

void run_pss_file(const std::string& file, std::size_t bits) {
  const auto doc = wp::load(file, "RSASSA-PSS");
  wp::Counts counts;
  for (const auto& group : doc.at("testGroups").as_array()) {
    REQUIRE(group.at("type").as_string() == "RsassaPssVerify");
    REQUIRE(group.at("sha").as_string() == "SHA-256");
    REQUIRE(group.at("mgf").as_string() == "MGF1");
    REQUIRE(group.at("mgfSha").as_string() == "SHA-256");
    REQUIRE(group.at("sLen").as_int() == 32);
    REQUIRE(group.at("keySize").as_int() == static_cast<std::int64_t>(bits));

    const auto key = crypto::PublicKey::from_spki(wp::bytes(group.at("publicKeyDer")));
    REQUIRE(key.bits() == bits);

    for (const auto& test : group.at("tests").as_array()) {
      INFO(file << " " << wp::describe(test));
      const auto result = wp::result_of(test);
      const auto msg = wp::bytes(test.at("msg"));
      const auto sig = wp::bytes(test.at("sig"));
      bool ok = false;
      CHECK_NOTHROW(ok = crypto::pss_verify(key, msg, sig));
      if (result == wp::Result::valid) {
        CHECK(ok);
      } else if (result == wp::Result::invalid) {
        CHECK_FALSE(ok);
      }
      counts.checked(result);
    }
  }
  wp::check_counts(file, doc, counts);
  CHECK(counts.valid > 0);
  CHECK(counts.invalid > 0);
}

}  // namespace

TEST_CASE("wycheproof: RSA-PSS 2048 SHA-256 MGF1-SHA-256 salt 32 verify") {
  run_pss_file("rsa_pss_2048_sha256_mgf1_32_test.json", 2048);
}

TEST_CASE("wycheproof: RSA-PSS 3072 SHA-256 MGF1-SHA-256 salt 32 verify") {
  run_pss_file("rsa_pss_3072_sha256_mgf1_32_test.json", 3072);
}
