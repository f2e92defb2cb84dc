// The contents of the two records a room server sends besides DATA (PROTOCOL.md, "Rooms"):
// RELAY carries what another participant said, with who said it; ROOM_EVENT says who joined or
// left, or (to a newcomer) who was already there. The sender is named by the SHA-256 of its public
// key (the identity) and its display name (for people only). Parsers take hostile bytes: every
// length is checked.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "wire/bytes.hpp"

namespace cryptochat::wire {

inline constexpr std::size_t kKeyHashSize = 32;
using KeyHash = std::array<std::uint8_t, kKeyHashSize>;

struct Participant {
  KeyHash key_hash{};  // SHA-256 of the DER SubjectPublicKeyInfo
  std::string name;    // at most kMaxNameSize bytes
};

// Bytes before the data in a RELAY record: key hash, name length, name.
std::size_t relay_header_size(const Participant& sender);
// Appends the RELAY content header; the caller appends the data after it.
void encode_relay_header(const Participant& sender, Bytes& out);

struct RelayView {
  Participant sender;
  ByteView data;  // points into the parsed content
};
RelayView parse_relay(ByteView content);

// present: sent only to a newcomer, once per participant already in the room. verified: right
// after a participant's joined or present, when the server admitted its key because the key is
// on its list (--authorized-keys). A kind this version does not know still parses (a later
// server may add kinds): the receiver ignores such an event (known_kind() says which).
enum class RoomEventKind : std::uint8_t {
  joined = 0x01,
  left = 0x02,
  present = 0x03,
  verified = 0x04,
};
bool known_kind(RoomEventKind kind);

struct RoomEvent {
  RoomEventKind kind = RoomEventKind::joined;
  Participant who;
};
Bytes encode(const RoomEvent& event);
RoomEvent parse_room_event(ByteView content);

}  // namespace cryptochat::wire
