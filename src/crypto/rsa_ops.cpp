#include "crypto/rsa_ops.hpp"

#include <botan/pubkey.h>

#include <thread>

#include "crypto/random.hpp"
#include "crypto/rsa_op_pool.hpp"

namespace cryptochat::crypto {

Botan::RandomNumberGenerator& RsaOpPool::rng() {
  return system_rng();
}

std::unique_ptr<Botan::PK_Signer> RsaOpPool::make_signer() const {
  return std::make_unique<Botan::PK_Signer>(key_, rng(), kPssPadding);
}

std::unique_ptr<Botan::PK_Decryptor_EME> RsaOpPool::make_decryptor() const {
  return std::make_unique<Botan::PK_Decryptor_EME>(key_, rng(), kOaepPadding);
}

void RsaOpPool::prepare() noexcept {
  try {
    // Each set-up is one long modular inversion on one core; two cores make both at once.
    const std::jthread signer([this] { prepare_one(signers_, [this] { return make_signer(); }); });
    prepare_one(decryptors_, [this] { return make_decryptor(); });
  } catch (const std::exception&) {
    // No second thread: the signer is made when it is first needed.
  }
}

wire::Bytes oaep_encrypt(const PublicKey& to, std::span<const std::uint8_t> secret,
                         Botan::RandomNumberGenerator& rng) {
  const Botan::PK_Encryptor_EME enc(to.botan(), rng, kOaepPadding);
  return enc.encrypt(secret.data(), secret.size(), rng);
}

Botan::secure_vector<std::uint8_t> oaep_decrypt_or_random(const PrivateKey& key,
                                                          std::span<const std::uint8_t> ciphertext,
                                                          std::size_t secret_size,
                                                          Botan::RandomNumberGenerator& rng) {
  // The length of a ciphertext is public, so refusing a wrong one early leaks nothing; it is
  // still answered with random bytes to keep a single failure path.
  if (ciphertext.size() != (key.bits() + 7) / 8) {
    return rng.random_vec(secret_size);
  }
  try {
    return key.op_pool().with_decryptor([&](Botan::PK_Decryptor_EME& dec) {
      return dec.decrypt_or_random(ciphertext.data(), ciphertext.size(), secret_size, rng);
    });
  } catch (const std::exception&) {
    // Botan refuses a ciphertext whose value is not below the modulus by throwing: that is a
    // public property of the ciphertext, and it gets the same answer as every other failure.
    return rng.random_vec(secret_size);
  }
}

wire::Bytes pss_sign(const PrivateKey& key, std::span<const std::uint8_t> message,
                     Botan::RandomNumberGenerator& rng) {
  return key.op_pool().with_signer([&](Botan::PK_Signer& signer) {
    return signer.sign_message(message.data(), message.size(), rng);
  });
}

bool pss_verify(const PublicKey& key, std::span<const std::uint8_t> message,
                std::span<const std::uint8_t> signature) {
  // RFC 8017, 8.1.2 step 1: a signature has exactly the modulus's length. Botan accepts
  // leading zero bytes; refusing them keeps signatures unmalleable.
  if (signature.size() != (key.bits() + 7) / 8) {
    return false;
  }
  try {
    Botan::PK_Verifier verifier(key.botan(), kPssPadding);
    return verifier.verify_message(message.data(), message.size(), signature.data(),
                                   signature.size());
  } catch (const std::exception&) {
    return false;
  }
}

wire::Bytes signed_content(std::string_view context, std::span<const std::uint8_t> hash) {
  wire::Bytes out(context.begin(), context.end());
  out.push_back(0);
  out.insert(out.end(), hash.begin(), hash.end());
  return out;
}

}  // namespace cryptochat::crypto
