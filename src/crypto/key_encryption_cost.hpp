// An encrypted private key file says how costly its passphrase derivation is: a hostile file
// could ask for a scrypt needing gigabytes or a PBKDF2 running for minutes. This reads those
// parameters before any derivation runs and refuses what is past sane bounds.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace cryptochat::crypto {

// True when der is a PKCS#8 EncryptedPrivateKeyInfo. Throws KeyError when it is PBES2 with a
// cost over the bounds (or parameters that cannot be read). Anything else returns false and is
// left to the key parser.
bool check_key_encryption_cost(std::span<const std::uint8_t> der, const std::string& origin);

inline constexpr std::size_t kMaxPbkdf2Iterations = 5'000'000;
inline constexpr std::uint64_t kMaxScryptMemory = std::uint64_t{256} << 20U;  // 128 * r * N
inline constexpr std::uint64_t kMaxScryptWork = std::uint64_t{1} << 25U;      // N * r * p

}  // namespace cryptochat::crypto
