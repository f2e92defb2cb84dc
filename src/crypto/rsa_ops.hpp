// The RSA operations of the handshake, with the exact parameters PROTOCOL.md fixes:
// RSA-OAEP with SHA-256 and MGF1-SHA-256 (empty label), RSA-PSS with SHA-256, MGF1-SHA-256 and
// a 32-byte salt.
#pragma once

#include <botan/rng.h>
#include <botan/secmem.h>

#include <cstdint>
#include <span>
#include <string_view>

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

wire::Bytes pss_sign(const PrivateKey& key, std::span<const std::uint8_t> message,
                     Botan::RandomNumberGenerator& rng);
bool pss_verify(const PublicKey& key, std::span<const std::uint8_t> message,
                std::span<const std::uint8_t> signature);

// The message a side signs: an ASCII context string, a zero byte, then a transcript hash.
wire::Bytes signed_content(std::string_view context, std::span<const std::uint8_t> hash);

}  // namespace cryptochat::crypto
