// Project Wycheproof: HKDF-SHA-256, through Botan's KDF "HKDF(SHA-256)" called the way
// src/crypto/key_schedule.cpp calls it (derive_key(size, ikm, salt, info): extract then
// expand). valid: the output is okm; invalid (SizeTooLarge, over 255 * 32 bytes): it throws.
//
// Known deviation (kKnownDeviations below): Botan 2.19 does not throw for the SizeTooLarge
// cases; derive_key silently returns only the 255 * 32 bytes HKDF can make. cryptochat is not
// affected: key_schedule.cpp only asks for 32 and 12 bytes.
#include <doctest/doctest.h>

#include <botan/kdf.h>

#include <string>
#include <string_view>

#include "crypto/wycheproof/wycheproof_support.hpp"

namespace wp = cryptochat::test::wycheproof;

namespace {

constexpr std::size_t kMaxOutput = 255 * 32;

constexpr std::string_view kHkdfDeviation =
    "Botan's HKDF(SHA-256) returns 255 * 32 bytes, fewer than asked for, instead of throwing";

constexpr wp::KnownDeviation kKnownDeviations[] = {
    {"hkdf_sha256_test.json", 25, kHkdfDeviation},
    {"hkdf_sha256_test.json", 48, kHkdfDeviation},
    {"hkdf_sha256_test.json", 74, kHkdfDeviation},
};

}  // namespace

TEST_CASE("wycheproof: HKDF-SHA-256") {
  const std::string file = "hkdf_sha256_test.json";
  const auto doc = wp::load(file, "HKDF-SHA-256");
  const auto hkdf = Botan::KDF::create_or_throw("HKDF(SHA-256)");
  wp::Counts counts;
  for (const auto& group : wp::array(doc.at("testGroups"))) {
    REQUIRE(group.at("type").get<std::string>() == "HkdfTest");
    for (const auto& test : wp::array(group.at("tests"))) {
      INFO(file << " " << wp::describe(test));
      const auto result = wp::result_of(test);
      REQUIRE(result != wp::Result::acceptable);  // the file has none
      const auto ikm = wp::bytes(test.at("ikm"));
      const auto salt = wp::bytes(test.at("salt"));
      const auto info = wp::bytes(test.at("info"));
      const auto size = static_cast<std::size_t>(test.at("size").get<std::int64_t>());
      const auto derive = [&] {
        return hkdf->derive_key(size, ikm.data(), ikm.size(), salt.data(), salt.size(), info.data(),
                                info.size());
      };
      if (const auto* deviation = wp::find_deviation(kKnownDeviations, file, test)) {
        INFO("known deviation, still expected: " << deviation->what);
        REQUIRE(size > kMaxOutput);
        Botan::secure_vector<std::uint8_t> okm;
        CHECK_NOTHROW(okm = derive());
        CHECK(okm.size() == kMaxOutput);
        ++counts.deviations;
      } else if (result == wp::Result::valid) {
        Botan::secure_vector<std::uint8_t> okm;
        CHECK_NOTHROW(okm = derive());
        CHECK(wp::hex(okm) == test.at("okm").get<std::string>());
      } else {
        CHECK_THROWS((void)derive());
      }
      counts.checked(result);
    }
  }
  wp::check_counts(file, doc, counts);
  CHECK(counts.valid > 0);
  CHECK(counts.invalid > 0);
}
