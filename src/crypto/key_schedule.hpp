// From the three shared secrets and the transcript hash to one key and IV per direction
// (PROTOCOL.md, "Key schedule").
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

struct DirectionKeys {
  Botan::secure_vector<std::uint8_t> key;  // AES-256-GCM key
  std::array<std::uint8_t, kIvSize> iv{};
};

struct SessionKeys {
  DirectionKeys client_to_server;
  DirectionKeys server_to_client;
};

// HKDF-SHA-256 with salt = transcript hash and IKM = x25519 || client secret || server secret.
SessionKeys derive_session_keys(std::span<const std::uint8_t> x25519_secret,
                                std::span<const std::uint8_t> client_secret,
                                std::span<const std::uint8_t> server_secret,
                                std::span<const std::uint8_t> transcript_hash);

}  // namespace cryptochat::crypto
