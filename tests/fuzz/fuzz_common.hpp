// Shared by the libFuzzer targets (and make_fuzz_seeds): a deterministic RNG so every run of an
// input does the same thing, the fixed test keys, and small helpers.
//
// Harness rule: only cryptochat::Error (and its subclasses) is an expected outcome of hostile
// input and is caught; any other exception escapes LLVMFuzzerTestOneInput and libFuzzer reports
// it as a crash ("deadly signal" after std::terminate), as it reports sanitizer errors, leaks,
// timeouts and the explicit fuzz::fail() oracles below.
#pragma once

#include <botan/hash.h>
#include <botan/rng.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include "crypto/key_file.hpp"
#include "crypto/key_schedule.hpp"
#include "fixed_rng.hpp"
#include "wire/bytes.hpp"

#ifndef FUZZ_DATA_DIR
#error "FUZZ_DATA_DIR must name tests/data (set by tests/fuzz/meson.build)"
#endif

namespace cryptochat::fuzz {

// An oracle failed: print why and abort, which libFuzzer reports as a crash with the input.
[[noreturn]] inline void fail(const char* why) {
  std::fprintf(stderr, "\nFUZZ ORACLE FAILED: %s\n", why);
  std::fflush(stderr);
  std::abort();
}

inline void check(bool ok, const char* why) {
  if (!ok) {
    fail(why);
  }
}

// SHA-256 in counter mode over a seed, shared with the unit tests. Build a fresh one per
// input so an input replays exactly.
using FixedRng = test::FixedRng;

inline std::string read_data_file(const std::string& name) {
  const std::string path = std::string(FUZZ_DATA_DIR) + "/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "fuzz harness: cannot read %s\n", path.c_str());
    std::abort();
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// tests/data/rsa2048_pkcs8.pem: the server's identity in the handshake targets.
inline const crypto::PrivateKey& server_identity() {
  static const crypto::PrivateKey key =
      crypto::parse_private_key(read_data_file("rsa2048_pkcs8.pem"), "server key", {});
  return key;
}

// tests/data/client_rsa2048.pem: the client's identity in the handshake targets.
inline const crypto::PrivateKey& client_identity() {
  static const crypto::PrivateKey key =
      crypto::parse_private_key(read_data_file("client_rsa2048.pem"), "client key", {});
  return key;
}

inline constexpr const char* kClientRngSeed = "cryptochat fuzz client";
inline constexpr const char* kServerRngSeed = "cryptochat fuzz server";
inline constexpr const char* kClientName = "fuzz-client";
inline constexpr const char* kServerName = "fuzz-server";

// The fixed record key of fuzz_record (and of its seeds).
inline crypto::DirectionKeys record_keys() {
  crypto::DirectionKeys keys;
  keys.key.resize(crypto::kKeySize);
  for (std::size_t i = 0; i < keys.key.size(); ++i) {
    keys.key[i] = static_cast<std::uint8_t>(0xA0 + i);
  }
  for (std::size_t i = 0; i < keys.iv.size(); ++i) {
    keys.iv[i] = static_cast<std::uint8_t>(0x10 + i);
  }
  keys.next_secret.resize(crypto::kSecretSize);  // for KEY_UPDATE
  for (std::size_t i = 0; i < keys.next_secret.size(); ++i) {
    keys.next_secret[i] = static_cast<std::uint8_t>(0x30 + i);
  }
  return keys;
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Reads small integers from the front of the input; past its end every read gives 0.
class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t u8() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::uint16_t u16() {
    const auto hi = u8();
    return static_cast<std::uint16_t>((hi << 8U) | u8());
  }
  wire::ByteView take(std::size_t n) {
    n = std::min(n, size_ - pos_);
    const wire::ByteView out(data_ + pos_, n);
    pos_ += n;
    return out;
  }
  wire::ByteView rest() { return take(size_ - pos_); }
  [[nodiscard]] std::size_t remaining() const { return size_ - pos_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

}  // namespace cryptochat::fuzz
