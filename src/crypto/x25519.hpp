// Ephemeral X25519 keys: one per handshake side, thrown away after it (forward secrecy).
#pragma once

#include <botan/secmem.h>

#include <array>
#include <cstdint>
#include <memory>

#include "wire/handshake_messages.hpp"

namespace Botan {
class Curve25519_PrivateKey;
class RandomNumberGenerator;
}  // namespace Botan

namespace cryptochat::crypto {

class EphemeralKey {
 public:
  explicit EphemeralKey(Botan::RandomNumberGenerator& rng);
  // A fixed private key (test vectors only).
  explicit EphemeralKey(const Botan::secure_vector<std::uint8_t>& private_key);
  EphemeralKey(EphemeralKey&& other) noexcept;
  EphemeralKey& operator=(EphemeralKey&& other) noexcept;
  EphemeralKey(const EphemeralKey&) = delete;
  EphemeralKey& operator=(const EphemeralKey&) = delete;
  ~EphemeralKey();

  [[nodiscard]] wire::Ephemeral public_value() const;

  // The X25519 shared secret with the peer's public value. Refuses (HandshakeError) a result of
  // all zeros, which a low-order peer point forces: it would make the secret public.
  [[nodiscard]] Botan::secure_vector<std::uint8_t> agree(const wire::Ephemeral& peer,
                                                         Botan::RandomNumberGenerator& rng) const;

 private:
  std::unique_ptr<Botan::Curve25519_PrivateKey> key_;
};

}  // namespace cryptochat::crypto
