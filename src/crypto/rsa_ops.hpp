// The RSA operations of the handshake, with the exact parameters PROTOCOL.md fixes:
// RSA-OAEP with SHA-256 and MGF1-SHA-256 (empty label).
#pragma once

#include <botan/rng.h>
#include <botan/secmem.h>

#include <cstdint>
#include <span>

#include "crypto/keys.hpp"
#include "wire/bytes.hpp"

namespace cryptochat::crypto {

wire::Bytes oaep_encrypt(const PublicKey& to, std::span<const std::uint8_t> secret,
                         Botan::RandomNumberGenerator& rng);

// Decrypt-or-random: a ciphertext that does not decrypt to a secret_size-byte message yields
// random bytes instead, in constant time, so the failure shows only later as one uniform key
// confirmation error (no padding oracle).
Botan::secure_vector<std::uint8_t> oaep_decrypt_or_random(const PrivateKey& key,
                                                          std::span<const std::uint8_t> ciphertext,
                                                          std::size_t secret_size,
                                                          Botan::RandomNumberGenerator& rng);

}  // namespace cryptochat::crypto
