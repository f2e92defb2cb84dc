// RSA identities: the long-term keys made by `cryptochat keygen`. Value types over Botan keys.
#pragma once

#include <botan/rsa.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "util/secret.hpp"

namespace cryptochat::crypto {

inline constexpr std::size_t kMinRsaBits = 2048;
// Larger keys make every handshake slow for nothing; refusing them bounds the work a key costs.
inline constexpr std::size_t kMaxRsaBits = 8192;
// The only public exponent accepted (PROTOCOL.md section 3). A free exponent lets e = 1 expose
// the OAEP secret, a huge one cost the peer a long modular exponentiation, and any exponent
// lets a key's fingerprint be ground at hash speed.
inline constexpr std::uint32_t kRsaPublicExponent = 65537;

class PublicKey {
 public:
  explicit PublicKey(std::shared_ptr<const Botan::RSA_PublicKey> key);

  // Decodes a DER SubjectPublicKeyInfo; throws KeyError unless it is an RSA key that passes
  // check_rsa_public and Botan's own checks.
  static PublicKey from_spki(const std::vector<std::uint8_t>& der);

  [[nodiscard]] const Botan::RSA_PublicKey& botan() const { return *key_; }
  [[nodiscard]] std::size_t bits() const { return key_->key_length(); }
  [[nodiscard]] const std::vector<std::uint8_t>& spki_der() const { return spki_; }
  [[nodiscard]] std::string spki_pem() const;
  [[nodiscard]] std::string fingerprint() const;

 private:
  std::shared_ptr<const Botan::RSA_PublicKey> key_;  // immutable, so copies may share it
  std::vector<std::uint8_t> spki_;
};

class RsaOpPool;

class PrivateKey {
 public:
  explicit PrivateKey(std::unique_ptr<Botan::RSA_PrivateKey> key);
  PrivateKey(PrivateKey&&) noexcept;
  PrivateKey& operator=(PrivateKey&&) noexcept;
  PrivateKey(const PrivateKey&) = delete;
  PrivateKey& operator=(const PrivateKey&) = delete;
  ~PrivateKey();

  static PrivateKey generate(std::size_t bits);

  // A key whose public half (spki) is known now and whose private half `load` makes on another
  // thread: a client sends its hello while Botan sets the key up (milliseconds of big-number
  // work). Everything but spki_der() and fingerprint() waits for it, and throws what `load`
  // threw; `load` must give the key of that public half (KeyError otherwise).
  static PrivateKey deferred(std::vector<std::uint8_t> spki, std::function<PrivateKey()> load);

  [[nodiscard]] const Botan::RSA_PrivateKey& botan() const { return *loaded().key; }
  [[nodiscard]] std::size_t bits() const { return loaded().key->key_length(); }
  // A separate public key object costs a Montgomery set-up (~1 ms for RSA-2048): a handshake
  // needs only the encoding and the fingerprint, which come from the private key directly.
  [[nodiscard]] PublicKey public_key() const;
  [[nodiscard]] const std::vector<std::uint8_t>& spki_der() const { return spki_; }
  [[nodiscard]] std::string fingerprint() const;

  // PKCS#8 PEM; encrypted (PBES2: scrypt + AES-256-CBC) when passphrase is not empty.
  [[nodiscard]] Secret pkcs8_pem(const Secret& passphrase) const;

  // Operation objects kept for reuse (see crypto/rsa_op_pool.hpp); thread-safe.
  [[nodiscard]] RsaOpPool& op_pool() const { return *loaded().ops; }

 private:
  struct Loaded {
    std::unique_ptr<Botan::RSA_PrivateKey> key;
    std::unique_ptr<RsaOpPool> ops;
  };
  PrivateKey() = default;
  [[nodiscard]] const Loaded& loaded() const { return *loaded_.get(); }

  std::vector<std::uint8_t> spki_;
  std::shared_future<std::shared_ptr<const Loaded>> loaded_;  // ready unless deferred
};

// Throws KeyError when bits is not an accepted RSA size.
void check_rsa_bits(std::size_t bits, const std::string& origin);

// Throws KeyError unless (n, e) is a public key cryptochat accepts: n odd and of an accepted
// size, e = kRsaPublicExponent. Run on every key, ours and the peer's, before any use.
void check_rsa_public(const Botan::BigInt& n, const Botan::BigInt& e, const std::string& origin);

}  // namespace cryptochat::crypto
