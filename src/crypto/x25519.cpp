#include "crypto/x25519.hpp"

#include <botan/curve25519.h>
#include <botan/pubkey.h>

#include <algorithm>

#include "crypto/handshake_error.hpp"

namespace cryptochat::crypto {

EphemeralKey::EphemeralKey(Botan::RandomNumberGenerator& rng)
    : key_(std::make_unique<Botan::Curve25519_PrivateKey>(rng)) {}

EphemeralKey::EphemeralKey(const Botan::secure_vector<std::uint8_t>& private_key)
    : key_(std::make_unique<Botan::Curve25519_PrivateKey>(private_key)) {}

EphemeralKey::EphemeralKey(EphemeralKey&&) noexcept = default;
EphemeralKey& EphemeralKey::operator=(EphemeralKey&&) noexcept = default;
EphemeralKey::~EphemeralKey() = default;

wire::Ephemeral EphemeralKey::public_value() const {
  const auto value = key_->public_value();
  wire::Ephemeral out{};
  std::copy_n(value.begin(), out.size(), out.begin());
  return out;
}

Botan::secure_vector<std::uint8_t> EphemeralKey::agree(const wire::Ephemeral& peer,
                                                       Botan::RandomNumberGenerator& rng) const {
  Botan::secure_vector<std::uint8_t> shared;
  try {
    Botan::PK_Key_Agreement agreement(*key_, rng, "Raw");
    shared = agreement.derive_key(0, peer.data(), peer.size()).bits_of();
  } catch (const std::exception&) {
    throw HandshakeError("handshake failed: the peer's ephemeral key was refused");
  }
  // Constant-time all-zero test: OR every byte together.
  std::uint8_t any = 0;
  for (const auto b : shared) {
    any = static_cast<std::uint8_t>(any | b);
  }
  if (shared.size() != 32 || any == 0) {
    throw HandshakeError("handshake failed: the peer's ephemeral key is a low-order point");
  }
  return shared;
}

}  // namespace cryptochat::crypto
