// crypto::parse_private_key (with a passphrase provider that always answers "correct-horse",
// the passphrase of tests/data/rsa2048_encrypted.pem and ssh_rsa2048_encrypted) and
// crypto::parse_public_key on the whole input. Both must either give an RSA key of an accepted
// size or throw KeyError; a key that loads must survive a PKCS#8 round trip unchanged, and its
// OpenSSH public line must read back as the same key. crypto::public_half_of_private_key never
// throws, and what it reads is the public half of the key parse_private_key loads.
//
// The OpenSSH formats carry their binary fields in base64, where mutations rarely land on a
// length or a check value. So an input that starts with the binary "openssh-key-v1\0" magic is
// also given to parse_private_key inside "-----BEGIN OPENSSH PRIVATE KEY-----" armour, and one
// that starts with the ssh wire string "ssh-rsa" to parse_public_key as "ssh-rsa BASE64".
#include <botan/base64.h>
#include <botan/pem.h>

#include "crypto/key_file.hpp"
#include "crypto/ssh_key.hpp"
#include "fuzz_common.hpp"
#include "util/error.hpp"

using namespace cryptochat;

namespace {

constexpr std::string_view kOpensshMagic{"openssh-key-v1\0", 15};
constexpr std::string_view kSshRsaString{"\0\0\0\7ssh-rsa", 11};

std::optional<Secret> passphrase(const std::string& /*origin*/) {
  return Secret(std::string("correct-horse"));
}

void check_bits(std::size_t bits) {
  fuzz::check(bits >= crypto::kMinRsaBits && bits <= crypto::kMaxRsaBits,
              "a key of a refused size was accepted");
}

std::string ssh_line(const Botan::RSA_PublicKey& key) {
  const auto blob = crypto::ssh_rsa_blob(key.get_n(), key.get_e());
  return "ssh-rsa " + Botan::base64_encode(blob.data(), blob.size()) + " fuzz\n";
}

void private_key(std::string_view text, const std::optional<std::vector<std::uint8_t>>& half) {
  try {
    const crypto::PrivateKey key = crypto::parse_private_key(text, "fuzz", passphrase);
    check_bits(key.bits());
    fuzz::check(!half || *half == key.spki_der(),
                "the public half read ahead is not the loaded key's");
    const Secret pem = key.pkcs8_pem(Secret());
    const crypto::PrivateKey again = crypto::parse_private_key(pem.view(), "round trip", {});
    fuzz::check(again.botan().get_n() == key.botan().get_n() &&
                    again.botan().get_e() == key.botan().get_e() &&
                    again.botan().get_d() == key.botan().get_d(),
                "a private key changed in a PKCS#8 round trip");
    const crypto::PublicKey ssh = crypto::parse_public_key(ssh_line(key.botan()), "ssh line");
    fuzz::check(ssh.fingerprint() == key.fingerprint(),
                "a private key's ssh-rsa line reads back as another key");
  } catch (const KeyError&) {
    // refused: fine
  }
}

void public_key(std::string_view text) {
  try {
    const crypto::PublicKey key = crypto::parse_public_key(text, "fuzz");
    check_bits(key.bits());
    const crypto::PublicKey again = crypto::parse_public_key(key.spki_pem(), "round trip");
    fuzz::check(again.fingerprint() == key.fingerprint(),
                "a public key changed in an SPKI round trip");
    const crypto::PublicKey ssh = crypto::parse_public_key(ssh_line(key.botan()), "ssh line");
    fuzz::check(ssh.fingerprint() == key.fingerprint() &&
                    crypto::ssh_fingerprint(ssh.botan()) == crypto::ssh_fingerprint(key.botan()),
                "a public key changed in an ssh-rsa line round trip");
  } catch (const KeyError&) {
    // refused: fine
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  private_key(text, crypto::public_half_of_private_key(text));
  public_key(text);
  if (size <= crypto::kMaxKeyFileBytes / 2 && text.starts_with(kOpensshMagic)) {
    const std::string armoured = Botan::PEM_Code::encode(data, size, "OPENSSH PRIVATE KEY", 70);
    private_key(armoured, crypto::public_half_of_private_key(armoured));
  }
  if (size <= crypto::kMaxKeyFileBytes / 2 && text.starts_with(kSshRsaString)) {
    public_key("ssh-rsa " + Botan::base64_encode(data, size) + " fuzz");
  }
  return 0;
}
