// Key fingerprints of the protocol: "SHA256:" followed by the unpadded base64 of SHA-256 over
// the DER SubjectPublicKeyInfo. They look like `ssh-keygen -l`'s but are not the same number:
// ssh hashes its own encoding of the key (crypto::ssh_fingerprint in crypto/ssh_key.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace cryptochat::crypto {

std::string fingerprint_of_spki(std::span<const std::uint8_t> spki_der);
// The same from the 32-byte SHA-256 of the SubjectPublicKeyInfo (rooms send only the hash).
std::string fingerprint_of_hash(std::span<const std::uint8_t, 32> spki_hash);
// SHA-256 of the SubjectPublicKeyInfo.
std::array<std::uint8_t, 32> spki_hash(std::span<const std::uint8_t> spki_der);
// "SHA256:" and the first 16 base64 characters (96 bits): how a room tells people apart in join
// and leave lines and next to a name two keys have used. Fewer bits could be matched by
// grinding keys (8 characters, 48 bits, cost about 2^47 key generations).
inline constexpr std::size_t kShortChars = 16;
std::string short_fingerprint(std::string_view fingerprint);

// True when text has the form of a fingerprint: "SHA256:" and 43 base64 characters.
bool looks_like_fingerprint(std::string_view text);

}  // namespace cryptochat::crypto
