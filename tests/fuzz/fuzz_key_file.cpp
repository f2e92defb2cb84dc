// crypto::parse_private_key (with a passphrase provider that always answers "correct-horse",
// the passphrase of tests/data/rsa2048_encrypted.pem) and crypto::parse_public_key on the
// whole input. Both must either give an RSA key of an accepted size or throw KeyError; a key
// that loads must survive a PKCS#8 round trip unchanged. crypto::public_half_of_private_key
// never throws, and what it reads is the public half of the key parse_private_key loads.
#include "crypto/key_file.hpp"
#include "fuzz_common.hpp"
#include "util/error.hpp"

using namespace cryptochat;

namespace {

std::optional<Secret> passphrase(const std::string& /*origin*/) {
  return Secret(std::string("correct-horse"));
}

void check_bits(std::size_t bits) {
  fuzz::check(bits >= crypto::kMinRsaBits && bits <= crypto::kMaxRsaBits,
              "a key of a refused size was accepted");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  const auto public_half = crypto::public_half_of_private_key(text);
  try {
    const crypto::PrivateKey key = crypto::parse_private_key(text, "fuzz", passphrase);
    check_bits(key.bits());
    fuzz::check(!public_half || *public_half == key.spki_der(),
                "the public half read ahead is not the loaded key's");
    const Secret pem = key.pkcs8_pem(Secret());
    const crypto::PrivateKey again = crypto::parse_private_key(pem.view(), "round trip", {});
    fuzz::check(again.botan().get_n() == key.botan().get_n() &&
                    again.botan().get_e() == key.botan().get_e() &&
                    again.botan().get_d() == key.botan().get_d(),
                "a private key changed in a PKCS#8 round trip");
  } catch (const KeyError&) {
    // refused: fine
  }
  try {
    const crypto::PublicKey key = crypto::parse_public_key(text, "fuzz");
    check_bits(key.bits());
    const crypto::PublicKey again = crypto::parse_public_key(key.spki_pem(), "round trip");
    fuzz::check(again.fingerprint() == key.fingerprint(),
                "a public key changed in an SPKI round trip");
  } catch (const KeyError&) {
    // refused: fine
  }
  return 0;
}
