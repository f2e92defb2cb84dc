// Failures of the handshake and of the record layer, each with the exit status it maps to.
#pragma once

#include <cstdint>
#include <string>

#include "util/error.hpp"
#include "wire/protocol_error.hpp"

namespace cryptochat::crypto {

// The handshake could not complete: failed key confirmation, refused key, bad messages.
class HandshakeError : public wire::ProtocolError {
 public:
  explicit HandshakeError(const std::string& message, AlertCode alert = AlertCode::handshake_failed)
      : wire::ProtocolError(message, alert) {}
};

// The peer speaks another protocol version (or offers no common suite): its own alert code, so
// the other side can say "upgrade" rather than "failed".
class UnsupportedVersion : public HandshakeError {
 public:
  explicit UnsupportedVersion(const std::string& message)
      : HandshakeError(message, AlertCode::unsupported_version) {}
};

// A record that is not the next authentic one from the peer.
class IntegrityError : public wire::ProtocolError {
 public:
  enum class Kind : std::uint8_t { tampered, replayed, dropped, truncated };
  IntegrityError(Kind kind, const std::string& message)
      : wire::ProtocolError(message), kind_(kind) {}
  [[nodiscard]] Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

}  // namespace cryptochat::crypto
