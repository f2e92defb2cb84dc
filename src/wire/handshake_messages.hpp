// The handshake messages and alerts of PROTOCOL.md: plain structures with an encoder and a
// parser each. Parsers take hostile bytes: every length is bounded and every byte accounted
// for, and anything else is a ProtocolError.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "util/error.hpp"
#include "wire/bytes.hpp"
#include "wire/frame.hpp"

namespace cryptochat::wire {

inline constexpr std::array<std::uint8_t, 4> kMagic = {'C', 'C', 'H', 'T'};
// Version 1 also signed the transcript with RSA-PSS; version 2 authenticated both sides by key
// confirmation alone (PROTOCOL.md, section 1); version 3 adds the commitment to the server's
// SAS nonce (SERVER_HELLO) and its reveal (SERVER_KEY), section 7. Only version 3 is spoken.
inline constexpr std::uint16_t kVersion3 = 0x0003;
// X25519 + RSA-OAEP-SHA256 + HKDF-SHA256 + AES-256-GCM.
inline constexpr std::uint16_t kSuiteAes256Gcm = 0x0001;

inline constexpr std::size_t kEphemeralSize = 32;
inline constexpr std::size_t kMaxSpkiSize = 2048;      // an 8192-bit RSA key is ~1.1 KB
inline constexpr std::size_t kMaxRsaBlockSize = 1024;  // 8192 bits
inline constexpr std::size_t kMaxListSize = 16;
inline constexpr std::size_t kMaxNameSize = 64;
inline constexpr std::size_t kMaxAlertText = 256;
inline constexpr std::size_t kSasNonceSize = 32;

using Ephemeral = std::array<std::uint8_t, kEphemeralSize>;
// The server's SAS nonce, and its commitment SHA-256(label || nonce) (PROTOCOL.md section 7).
using SasNonce = std::array<std::uint8_t, kSasNonceSize>;
using SasCommitment = std::array<std::uint8_t, kSasNonceSize>;

struct ServerHello {
  std::vector<std::uint16_t> versions;
  std::vector<std::uint16_t> suites;
  Ephemeral ephemeral{};
  Bytes spki;
  SasCommitment sas_commitment{};  // to the nonce SERVER_KEY reveals
};

struct ClientHello {
  std::uint16_t version = 0;
  std::uint16_t suite = 0;
  Ephemeral ephemeral{};
  Bytes spki;
  Bytes oaep_ciphertext;  // the client's secret, to the server's key
};

struct ServerKey {
  Bytes oaep_ciphertext;  // the server's secret, to the client's key
  SasNonce sas_nonce{};   // what SERVER_HELLO committed to
};

// The codes are the errors' own (util/error.hpp): each error says what the peer is told.
using AlertCode = cryptochat::AlertCode;

struct Alert {
  AlertCode code = AlertCode::protocol_error;
  std::string text;  // UTF-8, for people; at most kMaxAlertText bytes
};

// What any version's hello keeps in place (PROTOCOL.md section 8): the server's versions and
// suites, the client's choice. Read before the rest, so that a peer of another version is told
// which versions it speaks even when the rest of its hello has another layout.
struct ServerOffer {
  std::vector<std::uint16_t> versions;
  std::vector<std::uint16_t> suites;
};
struct ClientChoice {
  std::uint16_t version = 0;
  std::uint16_t suite = 0;
};

Bytes encode(const ServerHello& m);
Bytes encode(const ClientHello& m);
Bytes encode(const ServerKey& m);
Bytes encode(const Alert& m);

// The prefixes alone: the bytes after them are not looked at.
ServerOffer parse_server_offer(ByteView body);
ClientChoice parse_client_choice(ByteView body);
ServerHello parse_server_hello(ByteView body);
ClientHello parse_client_hello(ByteView body);
ServerKey parse_server_key(ByteView body);
Alert parse_alert(ByteView body);

// The whole frame for a message.
template <typename Message>
Bytes frame_of(FrameType type, const Message& m) {
  Bytes out;
  append_frame(out, type, encode(m));
  return out;
}

}  // namespace cryptochat::wire
