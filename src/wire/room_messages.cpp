#include "wire/room_messages.hpp"

#include <algorithm>

#include "wire/handshake_messages.hpp"
#include "wire/protocol_error.hpp"

namespace cryptochat::wire {

namespace {

void write_participant(const Participant& p, Bytes& out) {
  if (p.name.size() > kMaxNameSize) {
    throw ProtocolError("a participant name is longer than 64 bytes");
  }
  ByteWriter w(out);
  w.raw(p.key_hash);
  w.u8(static_cast<std::uint8_t>(p.name.size()));
  w.raw(p.name);
}

Participant read_participant(ByteReader& in, const char* what) {
  Participant p;
  const auto hash = in.raw(kKeyHashSize);
  std::copy(hash.begin(), hash.end(), p.key_hash.begin());
  const std::size_t name_len = in.u8();
  if (name_len > kMaxNameSize) {
    throw ProtocolError(std::string("malformed ") + what + ": a name longer than 64 bytes");
  }
  const auto name = in.raw(name_len);
  p.name.assign(name.begin(), name.end());
  return p;
}

}  // namespace

std::size_t relay_header_size(const Participant& sender) {
  return kKeyHashSize + 1 + sender.name.size();
}

void encode_relay_header(const Participant& sender, Bytes& out) {
  write_participant(sender, out);
}

RelayView parse_relay(ByteView content) {
  ByteReader in(content, "relay record");
  RelayView view;
  view.sender = read_participant(in, "relay record");
  view.data = in.raw(in.remaining());
  if (view.data.empty()) {
    throw ProtocolError("malformed relay record: no data");
  }
  return view;
}

bool known_kind(RoomEventKind kind) {
  return kind == RoomEventKind::joined || kind == RoomEventKind::left ||
         kind == RoomEventKind::present || kind == RoomEventKind::verified;
}

Bytes encode(const RoomEvent& event) {
  Bytes out;
  out.push_back(static_cast<std::uint8_t>(event.kind));
  write_participant(event.who, out);
  return out;
}

RoomEvent parse_room_event(ByteView content) {
  ByteReader in(content, "room event");
  RoomEvent event;
  event.kind = static_cast<RoomEventKind>(in.u8());
  event.who = read_participant(in, "room event");
  in.expect_end();
  return event;
}

}  // namespace cryptochat::wire
