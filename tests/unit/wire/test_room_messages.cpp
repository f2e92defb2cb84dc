#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <utility>

#include "wire/handshake_messages.hpp"
#include "wire/protocol_error.hpp"
#include "wire/room_messages.hpp"

using namespace cryptochat;
using wire::ProtocolError;

namespace {

// Key hash 0x00, 0x01, ..., 0x1F, so a shifted or truncated hash shows in the bytes.
wire::KeyHash counting_hash() {
  wire::KeyHash hash{};
  for (std::size_t i = 0; i < hash.size(); ++i) {
    hash[i] = static_cast<std::uint8_t>(i);
  }
  return hash;
}

wire::Participant participant(std::string name) {
  return wire::Participant{counting_hash(), std::move(name)};
}

wire::Bytes bytes_of(std::string_view text) {
  return {text.begin(), text.end()};
}

// A RELAY content: the encoded header, then data.
wire::Bytes relay_content(const wire::Participant& sender, std::string_view data) {
  wire::Bytes out;
  wire::encode_relay_header(sender, out);
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

// Hand-built participant bytes: key hash, then name_len as given, then name (may disagree).
wire::Bytes raw_participant(std::uint8_t name_len, std::size_t name_bytes) {
  const wire::KeyHash hash = counting_hash();
  wire::Bytes out(hash.begin(), hash.end());
  out.push_back(name_len);
  out.insert(out.end(), name_bytes, 'n');
  return out;
}

}  // namespace

TEST_CASE("a RELAY header is key hash, name length and name, exactly") {
  const auto alice = participant("alice");
  const wire::KeyHash hash = counting_hash();
  wire::Bytes expected(hash.begin(), hash.end());
  expected.push_back(5);
  for (const char c : std::string("alice")) {
    expected.push_back(static_cast<std::uint8_t>(c));
  }
  CHECK(wire::relay_header_size(alice) == 38);

  // The header is appended after what the buffer already holds.
  wire::Bytes out = {0xEE};
  wire::encode_relay_header(alice, out);
  REQUIRE(out.size() == 1 + 38);
  CHECK(out.front() == 0xEE);
  CHECK(wire::Bytes(out.begin() + 1, out.end()) == expected);

  CHECK(wire::relay_header_size(participant("")) == 33);
  CHECK(wire::relay_header_size(participant(std::string(64, 'x'))) == 97);
}

TEST_CASE("a ROOM_EVENT is kind, key hash, name length and name, exactly") {
  const wire::KeyHash hash = counting_hash();
  wire::Bytes joined = {0x01};
  joined.insert(joined.end(), hash.begin(), hash.end());
  joined.push_back(3);
  joined.insert(joined.end(), {'b', 'o', 'b'});
  CHECK(wire::encode(wire::RoomEvent{wire::RoomEventKind::joined, participant("bob")}) == joined);

  wire::Bytes left = joined;
  left[0] = 0x02;
  CHECK(wire::encode(wire::RoomEvent{wire::RoomEventKind::left, participant("bob")}) == left);

  // present (0x03): who was there before a newcomer; the same layout.
  wire::Bytes present = joined;
  present[0] = 0x03;
  CHECK(wire::encode(wire::RoomEvent{wire::RoomEventKind::present, participant("bob")}) == present);
  const wire::RoomEvent back = wire::parse_room_event(present);
  CHECK(back.kind == wire::RoomEventKind::present);
  CHECK(back.who.name == "bob");
  CHECK(back.who.key_hash == hash);
}

TEST_CASE("RELAY contents round-trip, the data pointing into the content") {
  for (const std::size_t name_size : {0, 1, 5, 63, 64}) {
    for (const std::size_t data_size : {1, 2, 1000, 65535}) {
      CAPTURE(name_size);
      CAPTURE(data_size);
      auto sender = participant(std::string(name_size, 'a'));
      sender.key_hash[31] = 0xFF;
      const std::string data(data_size, '\n');
      const wire::Bytes content = relay_content(sender, data);
      REQUIRE(content.size() == wire::relay_header_size(sender) + data_size);

      const wire::RelayView view = wire::parse_relay(content);
      CHECK(view.sender.key_hash == sender.key_hash);
      CHECK(view.sender.name == sender.name);
      CHECK(view.data.size() == data_size);
      CHECK(view.data.data() == content.data() + wire::relay_header_size(sender));
    }
  }
}

TEST_CASE("a RELAY keeps its data byte for byte, whatever it holds") {
  // Data that itself looks like a header is still just data.
  const auto bob = participant("bob");
  wire::Bytes data;
  wire::encode_relay_header(participant("mallory"), data);
  data.push_back(0x00);
  wire::Bytes content;
  wire::encode_relay_header(bob, content);
  content.insert(content.end(), data.begin(), data.end());
  const auto view = wire::parse_relay(content);
  CHECK(view.sender.name == "bob");
  CHECK(wire::Bytes(view.data.begin(), view.data.end()) == data);
}

TEST_CASE("ROOM_EVENTs round-trip for both kinds and any name length") {
  for (const auto kind : {wire::RoomEventKind::joined, wire::RoomEventKind::left,
                          wire::RoomEventKind::present, wire::RoomEventKind::verified}) {
    for (const std::size_t name_size : {0, 1, 64}) {
      CAPTURE(static_cast<int>(kind));
      CAPTURE(name_size);
      wire::RoomEvent event{kind, participant(std::string(name_size, 'z'))};
      event.who.key_hash[0] = 0xAB;
      const wire::Bytes content = wire::encode(event);
      CHECK(content.size() == 1 + 32 + 1 + name_size);
      const wire::RoomEvent back = wire::parse_room_event(content);
      CHECK(back.kind == kind);
      CHECK(back.who.key_hash == event.who.key_hash);
      CHECK(back.who.name == event.who.name);
    }
  }
}

TEST_CASE("a RELAY cut short at any length is refused") {
  const wire::Bytes content = relay_content(participant("alice"), "hi");
  REQUIRE(content.size() == 40);
  // Up to the end of the name the content is too short; with the name complete, there is no
  // data. Both are refused.
  for (std::size_t n = 0; n < 38; ++n) {
    CAPTURE(n);
    const wire::ByteView cut(content.data(), n);
    CHECK_THROWS_WITH_AS(wire::parse_relay(cut), "malformed relay record: too short",
                         ProtocolError);
  }
  CHECK_THROWS_WITH_AS(wire::parse_relay(wire::ByteView(content.data(), 38)),
                       "malformed relay record: no data", ProtocolError);
  CHECK(wire::parse_relay(wire::ByteView(content.data(), 39)).data.size() == 1);
  CHECK(wire::parse_relay(content).data.size() == 2);
}

TEST_CASE("a RELAY with empty data is refused, even with an empty name") {
  wire::Bytes content = raw_participant(0, 0);
  REQUIRE(content.size() == 33);
  CHECK_THROWS_WITH_AS(wire::parse_relay(content), "malformed relay record: no data",
                       ProtocolError);
  content.push_back(0);
  CHECK(wire::parse_relay(content).sender.name.empty());
}

TEST_CASE("a RELAY naming more than 64 bytes is refused even when the bytes are there") {
  wire::Bytes ok = raw_participant(64, 64);
  ok.push_back('!');
  CHECK(wire::parse_relay(ok).sender.name == std::string(64, 'n'));

  for (const int name_len : {65, 128, 255}) {
    CAPTURE(name_len);
    wire::Bytes content = raw_participant(static_cast<std::uint8_t>(name_len), 255);
    content.push_back('!');
    CHECK_THROWS_WITH_AS(wire::parse_relay(content),
                         "malformed relay record: a name longer than 64 bytes", ProtocolError);
  }
}

TEST_CASE("a ROOM_EVENT cut short at any length is refused") {
  const wire::Bytes content =
      wire::encode(wire::RoomEvent{wire::RoomEventKind::left, participant("carol")});
  REQUIRE(content.size() == 39);
  for (std::size_t n = 0; n < content.size(); ++n) {
    CAPTURE(n);
    CHECK_THROWS_WITH_AS(wire::parse_room_event(wire::ByteView(content.data(), n)),
                         "malformed room event: too short", ProtocolError);
  }
  CHECK(wire::parse_room_event(content).who.name == "carol");
}

TEST_CASE("a ROOM_EVENT of an unknown kind parses, for the receiver to ignore") {
  wire::Bytes content =
      wire::encode(wire::RoomEvent{wire::RoomEventKind::joined, participant("dave")});
  for (const int kind : {0x00, 0x05, 0x81, 0xFF}) {
    CAPTURE(kind);
    content[0] = static_cast<std::uint8_t>(kind);
    const auto event = wire::parse_room_event(content);
    CHECK_FALSE(wire::known_kind(event.kind));
    CHECK(event.who.name == "dave");
    CHECK(wire::encode(event) == content);
    // Still held to the layout: a byte too many is refused whatever the kind.
    wire::Bytes longer = content;
    longer.push_back(0);
    CHECK_THROWS_AS(static_cast<void>(wire::parse_room_event(longer)), ProtocolError);
  }
  for (const auto kind : {wire::RoomEventKind::joined, wire::RoomEventKind::left,
                          wire::RoomEventKind::present, wire::RoomEventKind::verified}) {
    CHECK(wire::known_kind(kind));
  }
}

TEST_CASE("a ROOM_EVENT with bytes after the name is refused") {
  const wire::Bytes good =
      wire::encode(wire::RoomEvent{wire::RoomEventKind::joined, participant("erin")});
  for (const std::size_t extra : {1, 2, 100}) {
    CAPTURE(extra);
    wire::Bytes content = good;
    content.insert(content.end(), extra, 0x00);
    const std::string message =
        "malformed room event: " + std::to_string(extra) + " unexpected trailing bytes";
    CHECK_THROWS_WITH_AS(wire::parse_room_event(content), message.c_str(), ProtocolError);
  }
  // A name length that stops short of the end leaves trailing bytes too.
  wire::Bytes shorter = good;
  shorter[1 + 32] = 3;
  CHECK_THROWS_WITH_AS(wire::parse_room_event(shorter), doctest::Contains("trailing"),
                       ProtocolError);
}

TEST_CASE("a ROOM_EVENT naming more than 64 bytes is refused even when the bytes are there") {
  for (const int name_len : {65, 255}) {
    CAPTURE(name_len);
    wire::Bytes content = {0x01};
    const wire::Bytes who =
        raw_participant(static_cast<std::uint8_t>(name_len), static_cast<std::size_t>(name_len));
    content.insert(content.end(), who.begin(), who.end());
    CHECK_THROWS_WITH_AS(wire::parse_room_event(content),
                         "malformed room event: a name longer than 64 bytes", ProtocolError);
  }
  wire::Bytes content = {0x02};
  const wire::Bytes who = raw_participant(64, 64);
  content.insert(content.end(), who.begin(), who.end());
  CHECK(wire::parse_room_event(content).who.name.size() == 64);
}

TEST_CASE("the encoders take a 64-byte name and refuse a 65-byte one") {
  static_assert(wire::kMaxNameSize == 64);
  const auto longest = participant(std::string(64, 'L'));
  wire::Bytes header;
  wire::encode_relay_header(longest, header);
  CHECK(header.size() == 97);
  CHECK(wire::encode(wire::RoomEvent{wire::RoomEventKind::joined, longest}).size() == 98);

  const auto too_long = participant(std::string(65, 'L'));
  wire::Bytes out = bytes_of("kept");
  CHECK_THROWS_WITH_AS(wire::encode_relay_header(too_long, out),
                       "a participant name is longer than 64 bytes", ProtocolError);
  // Nothing half-written is left behind.
  CHECK(out == bytes_of("kept"));
  CHECK_THROWS_WITH_AS(wire::encode(wire::RoomEvent{wire::RoomEventKind::left, too_long}),
                       "a participant name is longer than 64 bytes", ProtocolError);
  CHECK_THROWS_AS(wire::encode_relay_header(participant(std::string(300, 'L')), out),
                  ProtocolError);
}
