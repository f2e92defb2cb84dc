// Key fingerprints in the style of `ssh-keygen -l`: "SHA256:" followed by the unpadded base64
// of SHA-256 over the DER SubjectPublicKeyInfo.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace cryptochat::crypto {

std::string fingerprint_of_spki(std::span<const std::uint8_t> spki_der);

// True when text has the form of a fingerprint: "SHA256:" and 43 base64 characters.
bool looks_like_fingerprint(std::string_view text);

}  // namespace cryptochat::crypto
