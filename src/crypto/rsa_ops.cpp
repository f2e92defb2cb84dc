#include "crypto/rsa_ops.hpp"

#include <botan/pubkey.h>

#include <vector>

#include "crypto/key_schedule.hpp"
#include "crypto/random.hpp"
#include "crypto/rsa_op_pool.hpp"

namespace cryptochat::crypto {

Botan::RandomNumberGenerator& RsaOpPool::rng() {
  return system_rng();
}

std::unique_ptr<Botan::PK_Decryptor_EME> RsaOpPool::make_decryptor() const {
  return std::make_unique<Botan::PK_Decryptor_EME>(key_, rng(), kOaepPadding);
}

void RsaOpPool::prepare() noexcept {
  {
    const std::lock_guard lock(mutex_);
    ++being_made_;
  }
  std::unique_ptr<Botan::PK_Decryptor_EME> op;
  try {
    op = make_decryptor();
  } catch (const std::exception&) {
    // Reported when the operation is used.
  }
  {
    const std::lock_guard lock(mutex_);
    --being_made_;
    if (op) {
      kept_.push_back(std::move(op));
    }
  }
  ready_.notify_all();
}

void RsaOpPool::warm_up() noexcept {
  prepare();
  try {
    std::vector<std::uint8_t> dummy((key_.get_n().bits() + 7) / 8, 0);
    dummy.back() = 2;  // below the modulus; its padding is wrong, so the result is random bytes
    with_decryptor([&](Botan::PK_Decryptor_EME& dec) {
      return dec.decrypt_or_random(dummy.data(), dummy.size(), kSecretSize, rng());
    });
  } catch (const std::exception&) {
    // Only a warm-up: the first handshake reports whatever is wrong.
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

}  // namespace cryptochat::crypto
