// From the three shared secrets and the transcript hash to one key and IV per direction, and
// from one generation of a direction's key to the next (PROTOCOL.md, "Key schedule").
#pragma once

#include <botan/secmem.h>

#include <array>
#include <cstdint>
#include <span>

namespace cryptochat::crypto {

inline constexpr std::size_t kKeySize = 32;
inline constexpr std::size_t kIvSize = 12;
inline constexpr std::size_t kSecretSize = 32;
inline constexpr std::size_t kHashSize = 32;

// One direction's keys of one generation.
struct DirectionKeys {
  Botan::secure_vector<std::uint8_t> key;  // AES-256-GCM key
  std::array<std::uint8_t, kIvSize> iv{};
  // The secret the next generation comes from (secret_{n+1} of PROTOCOL.md section 4).
  Botan::secure_vector<std::uint8_t> next_secret;
};

struct SessionKeys {
  DirectionKeys client_to_server;
  DirectionKeys server_to_client;
};

// HKDF-SHA-256 with salt = transcript hash and IKM = x25519 || client secret || server secret:
// generation 0 of both directions.
SessionKeys derive_session_keys(std::span<const std::uint8_t> x25519_secret,
                                std::span<const std::uint8_t> client_secret,
                                std::span<const std::uint8_t> server_secret,
                                std::span<const std::uint8_t> transcript_hash);

// The generation after a KEY_UPDATE: key, IV and the secret after it, all from `next_secret`
// (32 bytes). The caller wipes what it held before (its secure_vectors do).
DirectionKeys next_generation(std::span<const std::uint8_t> next_secret);

}  // namespace cryptochat::crypto
