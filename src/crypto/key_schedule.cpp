#include "crypto/key_schedule.hpp"

#include <botan/kdf.h>

#include <algorithm>
#include <string_view>

namespace cryptochat::crypto {

namespace {

Botan::secure_vector<std::uint8_t> expand(const Botan::KDF& hkdf,
                                          const Botan::secure_vector<std::uint8_t>& ikm,
                                          std::span<const std::uint8_t> salt,
                                          std::string_view label, std::size_t length) {
  return hkdf.derive_key(length, ikm.data(), ikm.size(), salt.data(), salt.size(),
                         reinterpret_cast<const std::uint8_t*>(label.data()), label.size());
}

DirectionKeys direction(const Botan::KDF& hkdf, const Botan::secure_vector<std::uint8_t>& ikm,
                        std::span<const std::uint8_t> salt, std::string_view name) {
  DirectionKeys keys;
  keys.key =
      expand(hkdf, ikm, salt, std::string("cryptochat v2 ").append(name).append(" key"), kKeySize);
  const auto iv =
      expand(hkdf, ikm, salt, std::string("cryptochat v2 ").append(name).append(" iv"), kIvSize);
  std::copy(iv.begin(), iv.end(), keys.iv.begin());
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

}  // namespace cryptochat::crypto
