#include "crypto/fingerprint.hpp"

#include <botan/base64.h>
#include <botan/hash.h>

#include <algorithm>

namespace cryptochat::crypto {

namespace {
constexpr std::string_view kPrefix = "SHA256:";
constexpr std::size_t kBase64Chars = 43;  // 32 bytes, unpadded
}  // namespace

std::array<std::uint8_t, 32> spki_hash(std::span<const std::uint8_t> spki_der) {
  auto sha256 = Botan::HashFunction::create_or_throw("SHA-256");
  sha256->update(spki_der.data(), spki_der.size());
  std::array<std::uint8_t, 32> digest{};
  sha256->final(digest.data());
  return digest;
}

std::string fingerprint_of_hash(std::span<const std::uint8_t, 32> hash) {
  std::string b64 = Botan::base64_encode(hash.data(), hash.size());
  while (!b64.empty() && b64.back() == '=') {
    b64.pop_back();
  }
  return std::string(kPrefix) + b64;
}

std::string fingerprint_of_spki(std::span<const std::uint8_t> spki_der) {
  return fingerprint_of_hash(spki_hash(spki_der));
}

std::string short_fingerprint(std::string_view fingerprint) {
  return std::string(fingerprint.substr(0, kPrefix.size() + kShortChars));
}

bool looks_like_fingerprint(std::string_view text) {
  if (text.size() != kPrefix.size() + kBase64Chars || text.substr(0, kPrefix.size()) != kPrefix) {
    return false;
  }
  return std::ranges::all_of(text.substr(kPrefix.size()), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
  });
}

}  // namespace cryptochat::crypto
