#include "crypto/key_encryption_cost.hpp"

#include <botan/ber_dec.h>

#include <fmt/format.h>

#include "crypto/asn1_compat.hpp"
#include "util/error.hpp"

namespace cryptochat::crypto {

namespace {

using asn1::kOctetString;
using asn1::kSequence;
using asn1::oid_of;
using asn1::params_of;

constexpr const char* kPbes2 = "1.2.840.113549.1.5.13";
constexpr const char* kPbkdf2 = "1.2.840.113549.1.5.12";
constexpr const char* kScrypt = "1.3.6.1.4.1.11591.4.11";

void check_pbkdf2(const std::vector<std::uint8_t>& params, const std::string& origin) {
  std::vector<std::uint8_t> salt;
  std::size_t iterations = 0;
  Botan::BER_Decoder(params).start_cons(kSequence).decode(salt, kOctetString).decode(iterations);
  if (iterations == 0 || iterations > kMaxPbkdf2Iterations) {
    throw KeyError(
        fmt::format("{}: the key's PBKDF2 asks for {} iterations (at most {} are "
                    "accepted)",
                    origin, iterations, kMaxPbkdf2Iterations));
  }
}

void check_scrypt(const std::vector<std::uint8_t>& params, const std::string& origin) {
  std::vector<std::uint8_t> salt;
  std::size_t n = 0;
  std::size_t r = 0;
  std::size_t p = 0;
  Botan::BER_Decoder(params)
      .start_cons(kSequence)
      .decode(salt, kOctetString)
      .decode(n)
      .decode(r)
      .decode(p);
  const std::uint64_t memory = std::uint64_t{128} * r * n;
  const bool sane = n >= 2 && n <= (1U << 22U) && r >= 1 && r <= 64 && p >= 1 && p <= 64 &&
                    memory <= kMaxScryptMemory && std::uint64_t{n} * r * p <= kMaxScryptWork;
  if (!sane) {
    throw KeyError(
        fmt::format("{}: the key's scrypt parameters (N={}, r={}, p={}) are past what "
                    "is accepted (at most {} MiB of memory)",
                    origin, n, r, p, kMaxScryptMemory >> 20U));
  }
}

}  // namespace

bool check_key_encryption_cost(std::span<const std::uint8_t> der, const std::string& origin) {
  Botan::AlgorithmIdentifier scheme;
  try {
    std::vector<std::uint8_t> encrypted;
    Botan::BER_Decoder(der.data(), der.size())
        .start_cons(kSequence)
        .decode(scheme)
        .decode(encrypted, kOctetString)
        .end_cons();
  } catch (const std::exception&) {
    return false;  // not an EncryptedPrivateKeyInfo: the key parser decides what it is
  }
  if (oid_of(scheme).to_string() != kPbes2) {
    return true;  // an older PBE scheme: Botan refuses it or uses fixed small costs
  }
  try {
    Botan::AlgorithmIdentifier kdf;
    Botan::AlgorithmIdentifier cipher;
    Botan::BER_Decoder(params_of(scheme)).start_cons(kSequence).decode(kdf).decode(cipher);
    const std::string kdf_oid = oid_of(kdf).to_string();
    if (kdf_oid == kPbkdf2) {
      check_pbkdf2(params_of(kdf), origin);
    } else if (kdf_oid == kScrypt) {
      check_scrypt(params_of(kdf), origin);
    } else {
      throw KeyError(fmt::format("{}: the key is encrypted with an unsupported method", origin));
    }
  } catch (const KeyError&) {
    throw;
  } catch (const std::exception&) {
    throw KeyError(fmt::format("{}: the key's encryption parameters cannot be read", origin));
  }
  return true;
}

}  // namespace cryptochat::crypto
