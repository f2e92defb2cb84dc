#include "crypto/key_schedule.hpp"

#include <botan/kdf.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cryptochat::crypto {

namespace {

const std::uint8_t* label_bytes(std::string_view label) {
  return reinterpret_cast<const std::uint8_t*>(label.data());
}

Botan::secure_vector<std::uint8_t> expand(const Botan::KDF& hkdf,
                                          const Botan::secure_vector<std::uint8_t>& ikm,
                                          std::span<const std::uint8_t> salt,
                                          std::string_view label, std::size_t length) {
  return hkdf.derive_key(length, ikm.data(), ikm.size(), salt.data(), salt.size(),
                         label_bytes(label), label.size());
}

DirectionKeys direction(const Botan::KDF& hkdf, const Botan::secure_vector<std::uint8_t>& ikm,
                        std::span<const std::uint8_t> salt, std::string_view name) {
  const std::string prefix = std::string("cryptochat v2 ").append(name);
  DirectionKeys keys;
  keys.key = expand(hkdf, ikm, salt, prefix + " key", kKeySize);
  const auto iv = expand(hkdf, ikm, salt, prefix + " iv", kIvSize);
  std::copy(iv.begin(), iv.end(), keys.iv.begin());
  keys.next_secret = expand(hkdf, ikm, salt, prefix + " key update", kSecretSize);
  return keys;
}

}  // namespace

SessionKeys derive_session_keys(std::span<const std::uint8_t> x25519_secret,
                                std::span<const std::uint8_t> client_secret,
                                std::span<const std::uint8_t> server_secret,
                                std::span<const std::uint8_t> transcript_hash) {
  Botan::secure_vector<std::uint8_t> ikm;
  ikm.reserve(x25519_secret.size() + client_secret.size() + server_secret.size());
  ikm.insert(ikm.end(), x25519_secret.begin(), x25519_secret.end());
  ikm.insert(ikm.end(), client_secret.begin(), client_secret.end());
  ikm.insert(ikm.end(), server_secret.begin(), server_secret.end());
  // HKDF(SHA-256) in Botan is Extract(salt, IKM) then Expand(PRK, info = label).
  const auto hkdf = Botan::KDF::create_or_throw("HKDF(SHA-256)");
  return SessionKeys{direction(*hkdf, ikm, transcript_hash, "c2s"),
                     direction(*hkdf, ikm, transcript_hash, "s2c")};
}

DirectionKeys next_generation(std::span<const std::uint8_t> next_secret) {
  if (next_secret.size() != kSecretSize) {
    throw std::logic_error("a key update needs a 32-byte secret");
  }
  // HKDF-Expand alone (RFC 5869 section 2.3), the secret as PRK; Botan's HKDF-Expand appends
  // its salt to the label, so the salt stays empty.
  const auto expand = Botan::KDF::create_or_throw("HKDF-Expand(SHA-256)");
  const auto derive = [&](std::string_view label, std::size_t length) {
    return expand->derive_key(length, next_secret.data(), next_secret.size(), nullptr, 0,
                              label_bytes(label), label.size());
  };
  DirectionKeys keys;
  keys.key = derive("cryptochat v2 key", kKeySize);
  const auto iv = derive("cryptochat v2 iv", kIvSize);
  std::copy(iv.begin(), iv.end(), keys.iv.begin());
  keys.next_secret = derive("cryptochat v2 next secret", kSecretSize);
  return keys;
}

}  // namespace cryptochat::crypto
