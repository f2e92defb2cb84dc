// The room record parsers, both on the whole input: parse_relay (RELAY content: key hash,
// name length, name, data) and parse_room_event (ROOM_EVENT content: kind, key hash, name
// length, name; any kind byte, the unknown ones for the receiver to ignore). What parses must
// encode back to exactly the input (the parsers account for every byte), and what is refused must
// be refused with ProtocolError.
#include <algorithm>

#include "fuzz_common.hpp"
#include "wire/handshake_messages.hpp"
#include "wire/protocol_error.hpp"
#include "wire/room_messages.hpp"

using namespace cryptochat;

namespace {

void check_participant(const wire::Participant& p) {
  fuzz::check(p.name.size() <= wire::kMaxNameSize, "a parsed name over 64 bytes");
}

void check_relay(wire::ByteView content) {
  const wire::RelayView relay = wire::parse_relay(content);
  check_participant(relay.sender);
  fuzz::check(!relay.data.empty(), "a relay with no data accepted");
  const std::size_t header = wire::relay_header_size(relay.sender);
  fuzz::check(header + relay.data.size() == content.size(),
              "relay header and data do not add up to the content");
  fuzz::check(relay.data.data() == content.data() + header,
              "relay data does not point just after the header");

  wire::Bytes encoded;
  wire::encode_relay_header(relay.sender, encoded);
  fuzz::check(encoded.size() == header, "relay_header_size disagrees with encode_relay_header");
  encoded.insert(encoded.end(), relay.data.begin(), relay.data.end());
  fuzz::check(std::equal(content.begin(), content.end(), encoded.begin(), encoded.end()),
              "a parsed relay does not encode back to the same bytes");

  // The sender is read the same way in a room event: kind + header parses to the same one.
  wire::Bytes event = {static_cast<std::uint8_t>(wire::RoomEventKind::left)};
  event.insert(event.end(), content.begin(), content.begin() + static_cast<std::ptrdiff_t>(header));
  wire::RoomEvent again;
  try {
    again = wire::parse_room_event(event);
  } catch (const wire::ProtocolError&) {
    fuzz::fail("a relay's sender is refused in a room event");
  }
  fuzz::check(again.kind == wire::RoomEventKind::left, "room event kind changed");
  fuzz::check(again.who.key_hash == relay.sender.key_hash && again.who.name == relay.sender.name,
              "a relay's sender reads differently as a room event");
}

void check_room_event(wire::ByteView content) {
  const wire::RoomEvent event = wire::parse_room_event(content);
  check_participant(event.who);
  fuzz::check(wire::known_kind(event.kind) == (content[0] >= 0x01 && content[0] <= 0x04),
              "known_kind disagrees with PROTOCOL.md's kinds");
  const wire::Bytes encoded = wire::encode(event);
  fuzz::check(std::equal(content.begin(), content.end(), encoded.begin(), encoded.end()),
              "a parsed room event does not encode back to the same bytes");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const wire::ByteView content(data, size);
  try {
    check_relay(content);
  } catch (const wire::ProtocolError&) {
    // refused: fine
  }
  try {
    check_room_event(content);
  } catch (const wire::ProtocolError&) {
    // refused: fine
  }
  return 0;
}
