// Project Wycheproof: AES-GCM, only the groups with the parameters of the record layer (256-bit
// key, 96-bit IV, 128-bit tag; the other groups are counted as skipped), through Botan's AEAD
// "AES-256/GCM" used the way src/crypto/record.cpp uses it: one object per direction, rekeyed,
// then set_associated_data, start(nonce), finish. valid: encryption gives ct || tag and
// decryption gives msg back; invalid (ModifiedTag): decryption fails with a bad tag.
#include <doctest/doctest.h>

#include <botan/aead.h>
#include <botan/exceptn.h>

#include <string>

#include "crypto/wycheproof/wycheproof_support.hpp"

namespace wp = cryptochat::test::wycheproof;

TEST_CASE("wycheproof: AES-256-GCM, 96-bit IV, 128-bit tag") {
  const std::string file = "aes_gcm_test.json";
  const auto doc = wp::load(file, "AES-GCM");
  const auto enc = Botan::AEAD_Mode::create_or_throw("AES-256/GCM", Botan::ENCRYPTION);
  const auto dec = Botan::AEAD_Mode::create_or_throw("AES-256/GCM", Botan::DECRYPTION);
  wp::Counts counts;
  for (const auto& group : wp::array(doc.at("testGroups"))) {
    REQUIRE(group.at("type").get<std::string>() == "AeadTest");
    const auto& tests = wp::array(group.at("tests"));
    if (group.at("keySize").get<std::int64_t>() != 256 ||
        group.at("ivSize").get<std::int64_t>() != 96 ||
        group.at("tagSize").get<std::int64_t>() != 128) {
      counts.skipped += tests.size();
      continue;
    }
    for (const auto& test : tests) {
      INFO(file << " " << wp::describe(test));
      const auto result = wp::result_of(test);
      REQUIRE(result != wp::Result::acceptable);  // the file has none
      const auto key = wp::bytes(test.at("key"));
      const auto iv = wp::bytes(test.at("iv"));
      const auto aad = wp::bytes(test.at("aad"));
      const auto msg = wp::bytes(test.at("msg"));
      auto sealed = wp::bytes(test.at("ct"));
      const auto tag = wp::bytes(test.at("tag"));
      REQUIRE(key.size() == 32);
      REQUIRE(iv.size() == 12);
      REQUIRE(tag.size() == 16);
      sealed.insert(sealed.end(), tag.begin(), tag.end());

      dec->set_key(key);
      dec->set_associated_data(aad.data(), aad.size());
      dec->start(iv.data(), iv.size());
      Botan::secure_vector<std::uint8_t> opened(sealed.begin(), sealed.end());
      if (result == wp::Result::valid) {
        enc->set_key(key);
        enc->set_associated_data(aad.data(), aad.size());
        enc->start(iv.data(), iv.size());
        Botan::secure_vector<std::uint8_t> buf(msg.begin(), msg.end());
        enc->finish(buf);
        CHECK(wp::hex(buf) == wp::hex(sealed));

        CHECK_NOTHROW(dec->finish(opened));
        CHECK(wp::hex(opened) == wp::hex(msg));
      } else {
        CHECK_THROWS_AS(dec->finish(opened), Botan::Invalid_Authentication_Tag);
      }
      counts.checked(result);
    }
  }
  wp::check_counts(file, doc, counts);
  CHECK(counts.valid > 0);
  CHECK(counts.invalid > 0);
}
