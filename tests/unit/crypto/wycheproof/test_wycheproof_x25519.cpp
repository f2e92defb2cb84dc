// Project Wycheproof: X25519, through the handshake's own crypto::EphemeralKey::agree.
//
// - a case whose shared secret is all zeros (ZeroSharedSecret: low-order public values) must be
//   refused with crypto::HandshakeError, whatever its result field says;
// - otherwise valid: the shared secret must be the expected one;
// - otherwise acceptable (twist points, non-canonical public values, ...): either the expected
//   shared secret or a HandshakeError.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string>

#include "crypto/handshake_error.hpp"
#include "crypto/random.hpp"
#include "crypto/wycheproof/wycheproof_support.hpp"
#include "crypto/x25519.hpp"
#include "wire/handshake_messages.hpp"

using namespace cryptochat;
namespace wp = cryptochat::test::wycheproof;

TEST_CASE("wycheproof: X25519 agreement") {
  const std::string file = "x25519_test.json";
  const auto doc = wp::load(file, "XDH");
  wp::Counts counts;
  std::size_t zero_refused = 0;
  std::size_t acceptable_refused = 0;
  for (const auto& group : wp::array(doc.at("testGroups"))) {
    REQUIRE(group.at("type").get<std::string>() == "XdhComp");
    REQUIRE(group.at("curve").get<std::string>() == "curve25519");
    for (const auto& test : wp::array(group.at("tests"))) {
      INFO(file << " " << wp::describe(test));
      const auto result = wp::result_of(test);
      REQUIRE(result != wp::Result::invalid);  // the file has none; the rules below assume so
      const auto priv = wp::bytes(test.at("private"));
      const auto pub = wp::bytes(test.at("public"));
      const auto shared = wp::bytes(test.at("shared"));
      REQUIRE(priv.size() == 32);
      REQUIRE(pub.size() == wire::kEphemeralSize);
      REQUIRE(shared.size() == 32);

      const crypto::EphemeralKey key(Botan::secure_vector<std::uint8_t>(priv.begin(), priv.end()));
      wire::Ephemeral peer{};
      std::copy(pub.begin(), pub.end(), peer.begin());
      const bool zero = std::all_of(shared.begin(), shared.end(), [](auto b) { return b == 0; });
      // The flag and the value must agree, or the rules above do not mean what they say.
      CHECK(zero == wp::has_flag(test, "ZeroSharedSecret"));

      if (zero) {
        CHECK_THROWS_AS((void)key.agree(peer, crypto::system_rng()), crypto::HandshakeError);
        ++zero_refused;
      } else if (result == wp::Result::valid) {
        Botan::secure_vector<std::uint8_t> out;
        CHECK_NOTHROW(out = key.agree(peer, crypto::system_rng()));
        CHECK(wp::hex(out) == wp::hex(shared));
      } else {
        try {
          const auto out = key.agree(peer, crypto::system_rng());
          CHECK(wp::hex(out) == wp::hex(shared));
        } catch (const crypto::HandshakeError&) {
          ++acceptable_refused;
        }
      }
      counts.checked(result);
    }
  }
  wp::check_counts(file, doc, counts);
  CHECK(counts.valid > 0);
  CHECK(counts.acceptable > 0);
  CHECK(zero_refused > 0);
  if (std::getenv("CRYPTOCHAT_WYCHEPROOF_COUNTS") != nullptr) {
    std::cout << file << ": " << zero_refused << " all-zero shared secrets refused; "
              << acceptable_refused << " other acceptable cases refused\n";
  }
}
