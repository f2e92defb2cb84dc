// Two chat::Channels back to back over keys from a real in-memory handshake: what one side
// seals is moved into the other's FrameDecoder, and what the other makes of it is recorded.
#include <doctest/doctest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "chat/channel.hpp"
#include "crypto/handshake.hpp"
#include "crypto/handshake_error.hpp"
#include "crypto/key_file.hpp"
#include "fixed_rng.hpp"
#include "handshake_pair.hpp"
#include "test_support.hpp"
#include "util/error.hpp"
#include "wire/protocol_error.hpp"
#include "wire/room_messages.hpp"

using namespace cryptochat;
using chat::Channel;
using crypto::ContentType;
using test::participant;
using test::split_frames;
using Kind = crypto::IntegrityError::Kind;

namespace {

const crypto::PrivateKey& server_key() {
  static const auto key =
      crypto::parse_private_key(test::data_file("rsa2048_pkcs8.pem"), "rsa2048_pkcs8.pem", {});
  return key;
}

const crypto::PrivateKey& client_key() {
  static const auto key =
      crypto::parse_private_key(test::data_file("client_rsa2048.pem"), "client_rsa2048.pem", {});
  return key;
}

struct Keys {
  crypto::Established client;
  crypto::Established server;
};

// A real handshake in memory. Its random numbers are fixed, so two calls give the same keys
// (and sealers and openers in the same state: each at sequence 1, after FINISHED).
Keys handshake() {
  test::FixedRng server_rng("channel test: server");
  test::FixedRng client_rng("channel test: client");
  crypto::ServerHandshake server(server_key(), "srv", server_rng);
  crypto::ClientHandshake client(client_key(), "alice", client_rng);
  test::run_handshake(client, server);
  REQUIRE(client.established());
  REQUIRE(server.established());
  return {client.take_established(), server.take_established()};
}

std::string text_of(wire::ByteView bytes) {
  return {bytes.begin(), bytes.end()};
}

// Short payloads are logged as text, long ones by size (their bytes are kept apart).
std::string shown(wire::ByteView bytes) {
  return bytes.size() <= 64 ? text_of(bytes) : "<" + std::to_string(bytes.size()) + " bytes>";
}

const char* kind_name(wire::RoomEventKind kind) {
  switch (kind) {
    case wire::RoomEventKind::joined:
      return "joined";
    case wire::RoomEventKind::left:
      return "left";
    case wire::RoomEventKind::present:
      return "present";
    case wire::RoomEventKind::verified:
      return "verified";
  }
  return "unknown kind";
}

// Every ChannelEvents call, in order, as one line each.
class Recorder final : public chat::ChannelEvents {
 public:
  std::vector<std::string> log;
  std::string data;                     // every DATA byte, in order
  std::vector<std::size_t> data_sizes;  // one per on_data call
  std::string relayed;                  // every RELAY data byte, in order
  std::vector<wire::Participant> relay_senders;
  std::vector<wire::RoomEvent> room_events;
  std::function<void(bool quit)> peer_end_hook;  // runs inside on_peer_end (may throw)

  void on_data(wire::ByteView bytes) override {
    log.push_back("data " + shown(bytes));
    data += text_of(bytes);
    data_sizes.push_back(bytes.size());
  }
  void on_relay(const wire::Participant& sender, wire::ByteView bytes) override {
    log.push_back("relay " + sender.name + ": " + shown(bytes));
    relayed += text_of(bytes);
    relay_senders.push_back(sender);
  }
  void on_room_event(const wire::RoomEvent& event) override {
    log.push_back(std::string(kind_name(event.kind)) + " " + event.who.name);
    room_events.push_back(event);
  }
  void on_peer_end(bool quit) override {
    log.emplace_back(quit ? "peer quit" : "peer end");
    if (peer_end_hook) {
      peer_end_hook(quit);
    }
  }
};

struct Side {
  Side(crypto::Established est, Channel::Settings settings) : channel(std::move(est), settings) {}
  Channel channel;
  Recorder events;
  wire::FrameDecoder in;
  wire::Bytes out;  // what channel sealed and the peer has not been given yet
};

wire::Bytes join(const std::vector<wire::Bytes>& frames) {
  wire::Bytes out;
  for (const auto& f : frames) {
    out.insert(out.end(), f.begin(), f.end());
  }
  return out;
}

const char* type_name(ContentType type) {
  switch (type) {
    case ContentType::data:
      return "DATA";
    case ContentType::finished:
      return "FINISHED";
    case ContentType::end:
      return "END";
    case ContentType::end_ack:
      return "END_ACK";
    case ContentType::quit:
      return "QUIT";
    case ContentType::abort:
      return "ABORT";
    case ContentType::relay:
      return "RELAY";
    case ContentType::room_event:
      return "ROOM_EVENT";
    case ContentType::key_update:
      return "KEY_UPDATE";
  }
  return "?";
}

using Names = std::vector<std::string>;

// A client channel and a server channel over one handshake's keys, and a second copy of the
// same keys: `spare` opens everything each side sends (to name the record types in flight)
// and seals records a Channel would never send, as either side.
struct Pair {
  explicit Pair(bool client_ends_with_peer = false, bool server_ends_with_peer = false)
      : Pair(handshake(), handshake(), client_ends_with_peer, server_ends_with_peer) {}

  Keys spare;  // first: it is checked against the channels' keys before they take them
  Side client;
  Side server;

  // Moves everything `from` sealed into `to` and lets `to` take it (throwing what it throws).
  // Returns the content types moved ("?" for a record that does not open).
  Names deliver(Side& from, Side& to) {
    const wire::Bytes bytes = std::move(from.out);
    from.out.clear();
    const Names names = peek(from, bytes);
    to.in.feed(bytes);
    to.channel.receive(to.in, to.out, to.events);
    return names;
  }
  Names to_server() { return deliver(client, server); }
  Names to_client() { return deliver(server, client); }

  // Appends to `from.out` a record of any type sealed as `from` would seal its next one (so
  // `from.channel` must not seal anything in that direction afterwards), after a KEY_UPDATE
  // when the key is due for one, as a Channel would.
  void inject(Side& from, ContentType type, wire::ByteView content = {}) {
    crypto::RecordSealer& sealer = &from == &client ? spare.client.sealer : spare.server.sealer;
    const crypto::RecordOpener& opener =
        &from == &client ? spare.server.opener : spare.client.opener;
    // Delivered records moved the opener; the ones still in from.out come before this one.
    const std::uint64_t next = opener.next_sequence() + split_frames(from.out).size();
    wire::Bytes discard;
    const auto seal_as_channel = [&](ContentType t, wire::ByteView c, wire::Bytes& out) {
      if (sealer.key_update_due()) {
        sealer.seal_key_update(out);
      }
      sealer.seal(t, c, out);
    };
    while (sealer.next_sequence() < next) {
      // Catch up with what from.channel sealed (its key updates included).
      seal_as_channel(ContentType::data, {}, discard);
    }
    REQUIRE(sealer.next_sequence() == next);
    seal_as_channel(type, content, from.out);
  }

 private:
  Pair(Keys keys, Keys again, bool client_ends_with_peer, bool server_ends_with_peer)
      : spare(same_keys(keys, std::move(again))),
        client(std::move(keys.client), {Channel::Role::client, client_ends_with_peer}),
        server(std::move(keys.server), {Channel::Role::server, server_ends_with_peer}) {}

  static Keys same_keys(const Keys& first, Keys again) {
    REQUIRE(first.client.transcript_hash == first.server.transcript_hash);
    REQUIRE(again.client.transcript_hash == first.client.transcript_hash);
    REQUIRE(again.server.transcript_hash == first.server.transcript_hash);
    REQUIRE(again.client.sealer.next_sequence() == 1);  // after FINISHED
    REQUIRE(again.server.sealer.next_sequence() == 1);
    return again;
  }

  Names peek(const Side& from, const wire::Bytes& bytes) {
    crypto::RecordOpener& opener = &from == &client ? spare.server.opener : spare.client.opener;
    Names names;
    for (const auto& frame_bytes : split_frames(bytes)) {
      wire::FrameDecoder one;
      one.feed(frame_bytes);
      const auto frame = one.next();
      if (frame->type != wire::FrameType::record) {
        names.emplace_back(wire::frame_type_name(frame->type));
        continue;
      }
      try {
        const auto type = opener.open(*frame).type;
        names.emplace_back(type_name(type));
        if (type == ContentType::key_update) {
          opener.update_key();  // as the receiving channel does
        }
      } catch (const crypto::IntegrityError&) {
        names.emplace_back("?");
      }
    }
    return names;
  }
};

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::tampered:
      return "tampered";
    case Kind::replayed:
      return "replayed";
    case Kind::dropped:
      return "dropped";
    case Kind::truncated:
      return "truncated";
  }
  return "?";
}

// What `f` throws, as "<type>: <message>", the most derived of the types the channel throws
// ("IntegrityError(<kind>)", "ProtocolError", "IoError"); "nothing" when it returns.
std::string thrown(const std::function<void()>& f) {
  try {
    f();
  } catch (const crypto::IntegrityError& e) {
    return std::string("IntegrityError(") + kind_name(e.kind()) + "): " + e.what();
  } catch (const wire::ProtocolError& e) {
    CHECK(e.code() == ExitCode::failure);
    CHECK(e.alert() == AlertCode::protocol_error);
    return std::string("ProtocolError: ") + e.what();
  } catch (const IoError& e) {
    return std::string("IoError: ") + e.what();
  } catch (const std::exception& e) {
    return std::string("std::exception: ") + e.what();
  }
  return "nothing";
}

std::string pattern(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  }
  return s;
}

// The whole close, one side ending first; checks complete() only at the very end.
void normal_close(Pair& p, Side& first, Side& second) {
  first.channel.end(first.out);
  CHECK(first.channel.local_closed());
  CHECK(p.deliver(first, second) == Names{"END"});
  CHECK(second.events.log == std::vector<std::string>{"peer end"});
  CHECK(second.channel.peer_closed());
  CHECK_FALSE(second.channel.local_closed());
  CHECK(p.deliver(second, first) == Names{"END_ACK"});
  CHECK_FALSE(first.channel.complete());
  CHECK_FALSE(second.channel.complete());
  CHECK_FALSE(first.channel.peer_closed());

  second.channel.end(second.out);
  CHECK(p.deliver(second, first) == Names{"END"});
  CHECK(first.events.log == std::vector<std::string>{"peer end"});
  CHECK(first.channel.complete());  // its END_ACK is queued in first.out
  CHECK_FALSE(second.channel.complete());
  CHECK(p.deliver(first, second) == Names{"END_ACK"});
  CHECK(second.channel.complete());
  CHECK(first.out.empty());
  CHECK(second.out.empty());
  CHECK_NOTHROW(first.channel.connection_ended("peer"));
  CHECK_NOTHROW(second.channel.connection_ended("peer"));
}

}  // namespace

TEST_CASE("channel: data both ways, with the counts") {
  Pair p;
  CHECK(p.client.channel.peer_name() == "srv");
  CHECK(p.server.channel.peer_name() == "alice");
  CHECK(p.client.channel.peer_key().fingerprint() == server_key().fingerprint());
  CHECK(p.server.channel.peer_key().fingerprint() == client_key().fingerprint());

  p.client.channel.send_data(wire::bytes_of("hello, server"), p.client.out);
  p.client.channel.send_data(wire::bytes_of("again"), p.client.out);
  p.server.channel.send_data(wire::bytes_of("hello, client"), p.server.out);
  CHECK(p.to_server() == Names{"DATA", "DATA"});
  CHECK(p.to_client() == Names{"DATA"});
  CHECK(p.server.events.log == std::vector<std::string>{"data hello, server", "data again"});
  CHECK(p.client.events.log == std::vector<std::string>{"data hello, client"});

  // Empty data is no record at all; an empty DATA record (the protocol allows it) is nothing
  // to deliver.
  p.client.channel.send_data({}, p.client.out);
  CHECK(p.client.out.empty());
  p.inject(p.client, ContentType::data);
  CHECK(p.to_server() == Names{"DATA"});
  CHECK(p.server.events.log.size() == 2);

  const auto& c = p.client.channel.counts();
  const auto& s = p.server.channel.counts();
  CHECK(c.records_sent == 2);
  CHECK(c.bytes_sent == 18);
  CHECK(c.records_received == 1);
  CHECK(c.bytes_received == 13);
  CHECK(s.records_sent == 1);
  CHECK(s.bytes_sent == 13);
  CHECK(s.records_received == 2);
  CHECK(s.bytes_received == 18);
  CHECK_FALSE(p.client.channel.local_closed());
  CHECK_FALSE(p.client.channel.complete());
}

TEST_CASE("channel: receive_one takes one whole frame at a time") {
  Pair p;
  p.client.channel.send_data(wire::bytes_of("one"), p.client.out);
  p.client.channel.send_data(wire::bytes_of("two"), p.client.out);
  const auto frames = split_frames(p.client.out);
  REQUIRE(frames.size() == 2);
  // Half of the first frame: nothing to take yet.
  const auto half = frames[0].size() / 2;
  p.server.in.feed(wire::ByteView(frames[0].data(), half));
  CHECK_FALSE(p.server.channel.receive_one(p.server.in, p.server.out, p.server.events));
  p.server.in.feed(wire::ByteView(frames[0].data() + half, frames[0].size() - half));
  p.server.in.feed(frames[1]);
  CHECK(p.server.channel.receive_one(p.server.in, p.server.out, p.server.events));
  CHECK(p.server.events.log == std::vector<std::string>{"data one"});
  CHECK(p.server.channel.receive_one(p.server.in, p.server.out, p.server.events));
  CHECK_FALSE(p.server.channel.receive_one(p.server.in, p.server.out, p.server.events));
  CHECK(p.server.events.log == std::vector<std::string>{"data one", "data two"});
  CHECK(p.server.out.empty());
}

TEST_CASE("channel: data longer than one record is cut at kMaxRecordData and arrives whole") {
  Pair p;
  const std::size_t max = wire::kMaxRecordData;
  SUBCASE("client to server") {
    const auto big = pattern(2 * max + 123);
    p.client.channel.send_data(wire::bytes_of(big), p.client.out);
    // The first record is as full as a record can be.
    CHECK(split_frames(p.client.out).front().size() ==
          wire::kFrameHeaderSize + wire::kMaxRecordBody);
    CHECK(p.to_server() == Names{"DATA", "DATA", "DATA"});
    CHECK(p.server.events.data_sizes == std::vector<std::size_t>{max, max, 123});
    CHECK(p.server.events.data == big);
    CHECK(p.client.channel.counts().records_sent == 3);
    CHECK(p.client.channel.counts().bytes_sent == big.size());
    CHECK(p.server.channel.counts().records_received == 3);
    CHECK(p.server.channel.counts().bytes_received == big.size());
  }
  SUBCASE("server to client, exactly one record's worth and one byte more") {
    const auto one = pattern(max);
    const auto more = pattern(max + 1);
    p.server.channel.send_data(wire::bytes_of(one), p.server.out);
    p.server.channel.send_data(wire::bytes_of(more), p.server.out);
    CHECK(p.to_client() == Names{"DATA", "DATA", "DATA"});
    CHECK(p.client.events.data_sizes == std::vector<std::size_t>{max, max, 1});
    CHECK(p.client.events.data == one + more);
    CHECK(p.server.channel.counts().records_sent == 3);
    CHECK(p.client.channel.counts().bytes_received == 2 * max + 1);
  }
}

TEST_CASE("channel: the normal close, either side first") {
  Pair p;
  SUBCASE("client first") {
    normal_close(p, p.client, p.server);
  }
  SUBCASE("server first") {
    normal_close(p, p.server, p.client);
  }
}

TEST_CASE("channel: a half close: the side that has not ended keeps sending") {
  Pair p;  // ends_with_peer false on both sides
  p.client.channel.end(p.client.out);
  CHECK(p.to_server() == Names{"END"});
  CHECK(p.to_client() == Names{"END_ACK"});
  for (const char* text : {"one", "two", "three"}) {
    p.server.channel.send_data(wire::bytes_of(text), p.server.out);
  }
  CHECK(p.to_client() == Names{"DATA", "DATA", "DATA"});
  CHECK(p.client.events.data == "onetwothree");
  CHECK_FALSE(p.client.channel.complete());
  CHECK_FALSE(p.server.channel.complete());
  p.server.channel.end(p.server.out);
  CHECK(p.to_client() == Names{"END"});
  CHECK(p.to_server() == Names{"END_ACK"});
  CHECK(p.client.events.log ==
        std::vector<std::string>{"data one", "data two", "data three", "peer end"});
  CHECK(p.client.channel.complete());
  CHECK(p.server.channel.complete());
}

TEST_CASE("channel: with ends_with_peer the peer's END is answered with END_ACK and END") {
  SUBCASE("server ends with its peer") {
    Pair p(false, true);
    p.client.channel.send_data(wire::bytes_of("bye"), p.client.out);
    p.client.channel.end(p.client.out);
    CHECK(p.to_server() == Names{"DATA", "END"});
    CHECK(p.server.channel.local_closed());
    CHECK(p.to_client() == Names{"END_ACK", "END"});
    CHECK(p.client.events.log == std::vector<std::string>{"peer end"});
    CHECK(p.client.channel.complete());
    CHECK(p.to_server() == Names{"END_ACK"});
    CHECK(p.server.channel.complete());
    CHECK(p.server.events.log == std::vector<std::string>{"data bye", "peer end"});
  }
  SUBCASE("client ends with its peer") {
    Pair p(true, false);
    p.server.channel.end(p.server.out);
    CHECK(p.to_client() == Names{"END"});
    CHECK(p.to_server() == Names{"END_ACK", "END"});
    CHECK(p.to_client() == Names{"END_ACK"});
    CHECK(p.client.channel.complete());
    CHECK(p.server.channel.complete());
  }
  SUBCASE("a side that ended already only confirms") {
    Pair p(false, true);
    p.server.channel.end(p.server.out);
    p.client.channel.end(p.client.out);
    CHECK(p.to_server() == Names{"END"});
    CHECK(p.to_client() == Names{"END", "END_ACK"});
    CHECK(p.to_server() == Names{"END_ACK"});
    CHECK(p.client.channel.complete());
    CHECK(p.server.channel.complete());
  }
}

TEST_CASE("channel: QUIT always ends the receiver too") {
  Pair p;  // neither side ends with its peer
  SUBCASE("the client quits") {
    p.client.channel.quit(p.client.out);
    p.client.channel.end(p.client.out);  // once: nothing more
    p.client.channel.quit(p.client.out);
    CHECK(p.to_server() == Names{"QUIT"});
    CHECK(p.server.events.log == std::vector<std::string>{"peer quit"});
    CHECK(p.to_client() == Names{"END_ACK", "END"});
    CHECK(p.client.events.log == std::vector<std::string>{"peer end"});
    CHECK(p.to_server() == Names{"END_ACK"});
  }
  SUBCASE("the server quits (a room closing)") {
    p.server.channel.quit(p.server.out);
    CHECK(p.to_client() == Names{"QUIT"});
    CHECK(p.client.events.log == std::vector<std::string>{"peer quit"});
    CHECK(p.to_server() == Names{"END_ACK", "END"});
    CHECK(p.to_client() == Names{"END_ACK"});
  }
  CHECK(p.client.channel.complete());
  CHECK(p.server.channel.complete());
}

TEST_CASE("channel: on_peer_end comes before END_ACK is sealed, and a throw withholds it") {
  Pair p(false, true);
  std::vector<std::size_t> out_size_then;
  p.server.events.peer_end_hook = [&](bool) { out_size_then.push_back(p.server.out.size()); };
  p.client.channel.send_data(wire::bytes_of("last words"), p.client.out);

  SUBCASE("it returns: END_ACK follows") {
    p.client.channel.end(p.client.out);
    CHECK(p.to_server() == Names{"DATA", "END"});
    CHECK(out_size_then == std::vector<std::size_t>{0});  // nothing sealed before the call
    CHECK(p.server.events.log == std::vector<std::string>{"data last words", "peer end"});
    CHECK(p.to_client() == Names{"END_ACK", "END"});
  }
  SUBCASE("it throws (the output failed): no END_ACK, no END") {
    p.server.events.peer_end_hook = [](bool) { throw IoError("cannot write: disk full"); };
    bool quit = false;
    SUBCASE("on END") {
      quit = false;
    }
    SUBCASE("on QUIT") {
      quit = true;
    }
    if (quit) {
      p.client.channel.quit(p.client.out);
    } else {
      p.client.channel.end(p.client.out);
    }
    CHECK(thrown([&] { p.to_server(); }) == "IoError: cannot write: disk full");
    CHECK(p.server.out.empty());
    CHECK(p.server.channel.peer_closed());
    CHECK_FALSE(p.server.channel.local_closed());
    CHECK_FALSE(p.server.channel.complete());
    // The client never hears its end was confirmed, nor the server's end: a cut connection
    // is truncation.
    CHECK(thrown([&] { p.client.channel.connection_ended("srv:9000"); }) ==
          "IntegrityError(truncated): truncated: the connection to srv:9000 was cut before its "
          "end record; what was received may be incomplete");
  }
}

TEST_CASE("channel: DATA or RELAY after the peer's END is a protocol error") {
  Pair p;
  SUBCASE("DATA to the server") {
    p.inject(p.client, ContentType::end);
    p.inject(p.client, ContentType::data, wire::bytes_of("late"));
    CHECK(thrown([&] { p.to_server(); }) ==
          "ProtocolError: protocol error: the peer sent data after its end");
    CHECK(p.server.events.log == std::vector<std::string>{"peer end"});
    CHECK(p.server.channel.counts().records_received == 0);
  }
  SUBCASE("empty DATA after QUIT, to the client") {
    p.inject(p.server, ContentType::quit);
    p.inject(p.server, ContentType::data);
    CHECK(thrown([&] { p.to_client(); }) ==
          "ProtocolError: protocol error: the peer sent data after its end");
    CHECK(p.client.events.log == std::vector<std::string>{"peer quit"});
  }
  SUBCASE("RELAY to the client") {
    wire::Bytes relay;
    wire::encode_relay_header(participant("bob", 0xB0), relay);
    relay.push_back('x');
    p.server.channel.send_data(wire::bytes_of("before"), p.server.out);
    p.inject(p.server, ContentType::end);
    p.inject(p.server, ContentType::relay, relay);
    CHECK(thrown([&] { p.to_client(); }) ==
          "ProtocolError: protocol error: the peer sent data after its end");
    CHECK(p.client.events.log == std::vector<std::string>{"data before", "peer end"});
  }
}

TEST_CASE("channel: a second END, or END and QUIT, is a protocol error") {
  Pair p;
  ContentType first = ContentType::end;
  ContentType second = ContentType::end;
  SUBCASE("END, END") {}
  SUBCASE("END, QUIT") {
    second = ContentType::quit;
  }
  SUBCASE("QUIT, END") {
    first = ContentType::quit;
    second = ContentType::end;
  }
  SUBCASE("QUIT, QUIT") {
    first = ContentType::quit;
    second = ContentType::quit;
  }
  p.inject(p.client, first);
  p.inject(p.client, second);
  CHECK(thrown([&] { p.to_server(); }) ==
        "ProtocolError: protocol error: the peer ended its data twice");
  CHECK(p.server.events.log.size() == 1);  // one on_peer_end only
}

TEST_CASE("channel: END_ACK without our END, or a second one, is a protocol error") {
  Pair p;
  SUBCASE("before this side ended") {
    p.inject(p.client, ContentType::end_ack);
    CHECK(thrown([&] { p.to_server(); }) ==
          "ProtocolError: protocol error: unexpected end confirmation");
  }
  SUBCASE("before this side ended, after the peer's END") {
    p.inject(p.server, ContentType::end);
    p.inject(p.server, ContentType::end_ack);
    CHECK(thrown([&] { p.to_client(); }) ==
          "ProtocolError: protocol error: unexpected end confirmation");
  }
  SUBCASE("twice") {
    p.server.channel.end(p.server.out);
    CHECK(p.to_client() == Names{"END"});
    CHECK(p.to_server() == Names{"END_ACK"});  // from the real client channel
    p.inject(p.client, ContentType::end_ack);
    CHECK(thrown([&] { p.to_server(); }) ==
          "ProtocolError: protocol error: unexpected end confirmation");
  }
}

TEST_CASE("channel: ALERT and handshake frames after the handshake are protocol errors") {
  for (const bool to_server : {false, true}) {
    CAPTURE(to_server);
    {
      Pair p;
      Side& from = to_server ? p.client : p.server;
      Side& to = to_server ? p.server : p.client;
      const wire::Bytes body{0x01, 0x00, 0x02, 'n', 'o'};
      wire::append_frame(from.out, wire::FrameType::alert, body);
      CHECK(thrown([&] { p.deliver(from, to); }) ==
            "ProtocolError: the peer sent an alert after the handshake: no");
      CHECK(to.events.log.empty());
    }
    for (const auto type : {wire::FrameType::server_hello, wire::FrameType::client_hello,
                            wire::FrameType::server_key}) {
      const std::string name = wire::frame_type_name(type);
      CAPTURE(name);
      Pair p;
      Side& from = to_server ? p.client : p.server;
      Side& to = to_server ? p.server : p.client;
      const wire::Bytes body(40, 0x00);
      wire::append_frame(from.out, type, body);
      CHECK(thrown([&] { p.deliver(from, to); }) ==
            "ProtocolError: protocol error: a handshake frame after the handshake");
      CHECK(to.events.log.empty());
    }
  }
}

TEST_CASE("channel: a FINISHED record after the handshake is a protocol error") {
  Pair p;
  const wire::Bytes finished(32 + 1 + 3, 0x00);
  SUBCASE("to a client") {
    p.inject(p.server, ContentType::finished, finished);
    CHECK(thrown([&] { p.to_client(); }) ==
          "ProtocolError: protocol error: unexpected record type after the handshake");
  }
  SUBCASE("to a server") {
    p.inject(p.client, ContentType::finished, finished);
    CHECK(thrown([&] { p.to_server(); }) ==
          "ProtocolError: protocol error: unexpected record type from a client");
  }
}

// PROTOCOL.md section 5: "A receiver ends the session with a protocol error on any other
// content type". The record verified, so it is not tampering.
TEST_CASE("channel: an authentic record of an unknown content type is a protocol error") {
  for (const int raw : {0x09, 0x17, 0xFF}) {
    CAPTURE(raw);
    const auto type = static_cast<ContentType>(raw);
    {
      Pair p;
      p.inject(p.server, type, wire::bytes_of("from a later version"));
      CHECK(thrown([&] { p.to_client(); }) ==
            "ProtocolError: protocol error: unexpected record type after the handshake");
    }
    {
      Pair p;
      p.inject(p.client, type);
      CHECK(thrown([&] { p.to_server(); }) ==
            "ProtocolError: protocol error: unexpected record type from a client");
    }
  }
}

TEST_CASE("channel: RELAY or ROOM_EVENT from a client is a protocol error") {
  Pair p;
  SUBCASE("RELAY") {
    wire::Bytes relay;
    wire::encode_relay_header(participant("mallory", 0x66), relay);
    relay.push_back('x');
    p.inject(p.client, ContentType::relay, relay);
  }
  SUBCASE("ROOM_EVENT") {
    wire::RoomEvent event;
    event.kind = wire::RoomEventKind::joined;
    event.who = participant("mallory", 0x66);
    p.inject(p.client, ContentType::room_event, wire::encode(event));
  }
  CHECK(thrown([&] { p.to_server(); }) ==
        "ProtocolError: protocol error: unexpected record type from a client");
  CHECK(p.server.events.log.empty());
  CHECK(p.server.channel.counts().records_received == 0);
}

TEST_CASE("channel: the peer's ABORT is a ProtocolError with its reason, made printable") {
  Pair p;
  SUBCASE("server to client") {
    p.server.channel.abort("could not write: disk full\x1b[2J\r\n", p.server.out);
    CHECK(p.server.channel.aborted());
    CHECK(thrown([&] { p.to_client(); }) ==
          "ProtocolError: the peer aborted the session: could not write: disk "
          "full\uFFFD[2J\uFFFD\uFFFD");
    CHECK_FALSE(p.client.channel.aborted());
  }
  SUBCASE("client to server, after some data, a reason in UTF-8") {
    p.client.channel.send_data(wire::bytes_of("partial"), p.client.out);
    p.client.channel.abort("sortie impossible: é\x07", p.client.out);
    CHECK(thrown([&] { p.to_server(); }) ==
          "ProtocolError: the peer aborted the session: sortie impossible: é\uFFFD");
    CHECK(p.server.events.log == std::vector<std::string>{"data partial"});
  }
}

TEST_CASE("channel: after abort() nothing more is sent") {
  Pair p;
  p.server.channel.abort("the room is full (2 clients)", p.server.out);
  p.server.channel.abort("again", p.server.out);
  p.server.channel.end(p.server.out);
  p.server.channel.quit(p.server.out);
  CHECK(split_frames(p.server.out).size() == 1);
  CHECK_FALSE(p.server.channel.local_closed());
  CHECK(p.server.channel.aborted());
  CHECK_FALSE(p.server.channel.complete());
  CHECK(thrown([&] { p.to_client(); }) ==
        "ProtocolError: the peer aborted the session: the room is full (2 clients)");
}

TEST_CASE("channel: a connection that ends before the close completes is truncation") {
  Pair p;
  const std::string before_end =
      "IntegrityError(truncated): truncated: the connection to srv:9000 was cut before its end "
      "record; what was received "
      "may be incomplete";
  const std::string before_ack =
      "IntegrityError(truncated): truncated: the connection to srv:9000 was cut before it "
      "confirmed receiving everything";
  const auto ended = [&] { return thrown([&] { p.client.channel.connection_ended("srv:9000"); }); };
  CHECK(ended() == before_end);  // nothing ended yet

  SUBCASE("the client ended and was confirmed, the server did not end") {
    p.client.channel.end(p.client.out);
    p.to_server();
    p.to_client();
    CHECK(ended() == before_end);
    p.server.channel.send_data(wire::bytes_of("more"), p.server.out);
    p.to_client();
    CHECK(ended() == before_end);
  }
  SUBCASE("the server ended, the client did not") {
    p.server.channel.end(p.server.out);
    p.to_client();
    CHECK(ended() == before_ack);
  }
  SUBCASE("both ended, the client's END not yet confirmed") {
    p.server.channel.end(p.server.out);
    p.to_client();
    p.client.channel.end(p.client.out);
    CHECK(p.to_server() == Names{"END_ACK", "END"});
    CHECK_FALSE(p.client.channel.complete());
    CHECK(ended() == before_ack);
    CHECK(p.server.channel.complete());  // the server got its confirmation
    CHECK_NOTHROW(p.server.channel.connection_ended("alice"));
    p.to_client();
    CHECK(p.client.channel.complete());
    CHECK_NOTHROW(p.client.channel.connection_ended("srv:9000"));
  }
}

TEST_CASE("channel: room events of known kinds reach on_room_event, unknown kinds are ignored") {
  Pair p;
  const auto event = [](wire::RoomEventKind kind, const std::string& name, std::uint8_t fill) {
    wire::RoomEvent e;
    e.kind = kind;
    e.who = participant(name, fill);
    return e;
  };
  p.server.channel.send_room_event(event(wire::RoomEventKind::present, "carol", 0xC0),
                                   p.server.out);
  p.server.channel.send_room_event(event(wire::RoomEventKind::joined, "dave", 0xD0), p.server.out);
  p.server.channel.send_room_event(event(wire::RoomEventKind::verified, "dave", 0xD0),
                                   p.server.out);
  p.server.channel.send_room_event(event(static_cast<wire::RoomEventKind>(0x05), "eve", 0xE0),
                                   p.server.out);
  p.server.channel.send_room_event(event(static_cast<wire::RoomEventKind>(0xFF), "eve", 0xE0),
                                   p.server.out);
  p.server.channel.send_room_event(event(wire::RoomEventKind::left, "carol", 0xC0), p.server.out);
  p.server.channel.send_data(wire::bytes_of("still here"), p.server.out);
  CHECK(p.to_client() == Names{"ROOM_EVENT", "ROOM_EVENT", "ROOM_EVENT", "ROOM_EVENT", "ROOM_EVENT",
                               "ROOM_EVENT", "DATA"});
  CHECK(p.client.events.log == std::vector<std::string>{"present carol", "joined dave",
                                                        "verified dave", "left carol",
                                                        "data still here"});
  REQUIRE(p.client.events.room_events.size() == 4);
  CHECK(p.client.events.room_events[1].who.key_hash == participant("", 0xD0).key_hash);
  // Room events are not data.
  CHECK(p.client.channel.counts().records_received == 1);
  CHECK(p.server.channel.counts().records_sent == 1);
}

TEST_CASE("channel: a RelayBatch keeps every record within limits and arrives whole") {
  Pair p;
  const auto sender = participant(std::string(wire::kMaxNameSize, 'n'), 0x5A);
  const auto big = pattern(3 * wire::kMaxRecordData + 10);
  const chat::RelayBatch batch(sender, wire::bytes_of(big));
  CHECK(batch.data_size() == big.size());
  const std::size_t header = wire::relay_header_size(sender);
  CHECK(header == 32 + 1 + 64);
  const std::size_t per_record = wire::kMaxRecordData - header;
  const std::size_t records = (big.size() + per_record - 1) / per_record;
  REQUIRE(batch.contents().size() == records);
  std::size_t carried = 0;
  for (const auto& content : batch.contents()) {
    CHECK(content.size() <= wire::kMaxRecordData);
    carried += content.size() - header;
  }
  CHECK(batch.contents().front().size() == wire::kMaxRecordData);  // as full as allowed
  CHECK(carried == big.size());

  p.server.channel.send_relay(batch, p.server.out);
  CHECK(p.to_client() == Names(records, "RELAY"));
  CHECK(p.client.events.relayed == big);
  REQUIRE(p.client.events.relay_senders.size() == records);
  for (const auto& who : p.client.events.relay_senders) {
    CHECK(who.name == sender.name);
    CHECK(who.key_hash == sender.key_hash);
  }
  CHECK(p.server.channel.counts().records_sent == records);
  CHECK(p.server.channel.counts().bytes_sent == big.size());
  CHECK(p.client.channel.counts().records_received == records);
  CHECK(p.client.channel.counts().bytes_received == big.size());

  // A small one, and an empty one (no record at all).
  p.server.channel.send_relay(chat::RelayBatch(participant("bob", 0xB0), wire::bytes_of("hi")),
                              p.server.out);
  p.server.channel.send_relay(chat::RelayBatch(participant("bob", 0xB0), {}), p.server.out);
  CHECK(p.to_client() == Names{"RELAY"});
  CHECK(p.client.events.log.back() == "relay bob: hi");
}

TEST_CASE("channel: a record changed in flight is tampering") {
  // The sequence number's first and last byte, the content type, the data, the tag.
  for (const std::size_t at : {5U, 12U, 13U, 14U, 32U}) {
    CAPTURE(at);
    Pair p;
    p.client.channel.send_data(wire::bytes_of("one"), p.client.out);
    p.client.channel.send_data(wire::bytes_of("two"), p.client.out);
    auto frames = split_frames(p.client.out);
    REQUIRE(frames.size() == 2);
    REQUIRE(frames[1].size() == 33);  // 13 header bytes, type, "two", 16 tag bytes
    frames[1].at(at) ^= 0x01;
    p.client.out = join(frames);
    CHECK(thrown([&] { p.to_server(); }) ==
          "IntegrityError(tampered): tampering detected: record 2 failed authentication");
    CHECK(p.server.events.log == std::vector<std::string>{"data one"});  // what came before
  }
}

TEST_CASE("channel: a dropped record is detected") {
  Pair p;
  for (const char* text : {"one", "two", "three"}) {
    p.server.channel.send_data(wire::bytes_of(text), p.server.out);
  }
  auto frames = split_frames(p.server.out);
  REQUIRE(frames.size() == 3);
  frames.erase(frames.begin() + 1);
  p.server.out = join(frames);
  CHECK(thrown([&] { p.to_client(); }) ==
        "IntegrityError(dropped): records missing or reordered: expected record 2, got 3");
  CHECK(p.client.events.log == std::vector<std::string>{"data one"});
}

// PROTOCOL.md section 5: END, END_ACK and QUIT are empty; content there is a protocol error.
TEST_CASE("channel: END, END_ACK or QUIT with content is a protocol error") {
  for (const auto type : {ContentType::end, ContentType::quit, ContentType::end_ack}) {
    CAPTURE(type_name(type));
    for (const bool to_server : {false, true}) {
      CAPTURE(to_server);
      Pair p;
      Side& from = to_server ? p.client : p.server;
      Side& to = to_server ? p.server : p.client;
      if (type == ContentType::end_ack) {
        to.channel.end(to.out);  // an END_ACK is expected: only its content is wrong
        CHECK(p.deliver(to, from) == Names{"END"});
        from.out.clear();  // the real END_ACK is replaced by the injected one
        from.events.log.clear();
      }
      p.inject(from, type, wire::bytes_of("x"));
      CHECK(thrown([&] { p.deliver(from, to); }) ==
            "ProtocolError: protocol error: an end record with 1 bytes of content");
      CHECK(to.events.log.empty());
      CHECK_FALSE(to.channel.peer_closed());
    }
  }
}

// PROTOCOL.md section 5: an empty DATA record delivers nothing, and is still data.
TEST_CASE("channel: an empty DATA record delivers nothing and counts nothing") {
  for (const bool to_server : {false, true}) {
    CAPTURE(to_server);
    Pair p;
    Side& from = to_server ? p.client : p.server;
    Side& to = to_server ? p.server : p.client;
    p.inject(from, ContentType::data);
    p.inject(from, ContentType::data, wire::bytes_of("after"));
    CHECK(thrown([&] { p.deliver(from, to); }) == "nothing");
    CHECK(to.events.log == std::vector<std::string>{"data after"});
    CHECK(to.channel.counts().records_received == 1);
    CHECK(to.channel.counts().bytes_received == 5);
  }
}

// PROTOCOL.md section 5: a client cannot tell a room from a one-to-one server, and takes RELAY
// and ROOM_EVENT from any server (the authenticated server's own word).
TEST_CASE("channel: a client takes RELAY and ROOM_EVENT from any server") {
  Pair p;
  wire::Bytes relay;
  wire::encode_relay_header(participant("bob", 0xB0), relay);
  relay.push_back('x');
  wire::RoomEvent event;
  event.kind = wire::RoomEventKind::joined;
  event.who = participant("carol", 0xC0);
  p.inject(p.server, ContentType::relay, relay);
  p.inject(p.server, ContentType::room_event, wire::encode(event));
  CHECK(thrown([&] { p.to_client(); }) == "nothing");
  CHECK(p.client.events.log == std::vector<std::string>{"relay bob: x", "joined carol"});
}

namespace {

// Lower record limits for the handshakes (and so the channels) made while it lives.
class LimitsForTest {
 public:
  explicit LimitsForTest(crypto::RecordLimits limits) : saved_(crypto::default_record_limits()) {
    crypto::set_default_record_limits(limits);
  }
  LimitsForTest(const LimitsForTest&) = delete;
  LimitsForTest& operator=(const LimitsForTest&) = delete;
  LimitsForTest(LimitsForTest&&) = delete;
  LimitsForTest& operator=(LimitsForTest&&) = delete;
  ~LimitsForTest() { crypto::set_default_record_limits(saved_); }

 private:
  crypto::RecordLimits saved_;
};

}  // namespace

TEST_CASE("channel: with a key limit of 3 records, KEY_UPDATE goes before every third record") {
  const LimitsForTest limits(crypto::RecordLimits::with_send_limit(3));
  Pair p;
  // FINISHED was the client's first record under its first key: one more, then the update.
  for (const char* text : {"one", "two", "three", "four"}) {
    p.client.channel.send_data(wire::bytes_of(text), p.client.out);
  }
  CHECK(p.to_server() == Names{"DATA", "KEY_UPDATE", "DATA", "DATA", "KEY_UPDATE", "DATA"});
  CHECK(p.server.events.data == "onetwothreefour");
  CHECK(p.client.channel.counts().key_updates_sent == 2);
  CHECK(p.server.channel.counts().key_updates_received == 2);
  CHECK(p.server.channel.counts().records_received == 4);  // key updates are not data

  // The room's records (server to client) and the whole close, key updates in between.
  wire::RoomEvent event;
  event.kind = wire::RoomEventKind::joined;
  event.who = participant("bob", 0xB0);
  p.server.channel.send_room_event(event, p.server.out);
  p.server.channel.send_relay(chat::RelayBatch(event.who, wire::bytes_of("hi")), p.server.out);
  p.server.channel.send_data(wire::bytes_of("own"), p.server.out);
  p.server.channel.end(p.server.out);
  CHECK(p.to_client() == Names{"ROOM_EVENT", "KEY_UPDATE", "RELAY", "DATA", "KEY_UPDATE", "END"});
  CHECK(p.client.events.log ==
        std::vector<std::string>{"joined bob", "relay bob: hi", "data own", "peer end"});
  p.client.channel.end(p.client.out);
  CHECK(p.to_server() == Names{"END_ACK", "KEY_UPDATE", "END"});
  CHECK(p.to_client() == Names{"END_ACK"});
  CHECK(p.client.channel.complete());
  CHECK(p.server.channel.complete());
  CHECK(p.client.channel.counts().key_updates_sent == 3);
  CHECK(p.client.channel.counts().key_updates_received == 2);
}

TEST_CASE("channel: with a key limit of 2, every other record is KEY_UPDATE, bulk data included") {
  const LimitsForTest limits(crypto::RecordLimits::with_send_limit(2));
  Pair p(false, true);
  const auto big = pattern(5 * wire::kMaxRecordData + 7);
  p.client.channel.send_data(wire::bytes_of(big), p.client.out);
  p.client.channel.end(p.client.out);
  CHECK(p.to_server() == Names{"KEY_UPDATE", "DATA", "KEY_UPDATE", "DATA", "KEY_UPDATE", "DATA",
                               "KEY_UPDATE", "DATA", "KEY_UPDATE", "DATA", "KEY_UPDATE", "DATA",
                               "KEY_UPDATE", "END"});
  CHECK(p.server.events.data == big);
  // The server confirms and ends (ends_with_peer); its records alternate with updates too.
  CHECK(p.to_client() == Names{"KEY_UPDATE", "END_ACK", "KEY_UPDATE", "END"});
  CHECK(p.to_server() == Names{"KEY_UPDATE", "END_ACK"});
  CHECK(p.client.channel.complete());
  CHECK(p.server.channel.complete());
  CHECK(p.client.channel.counts().key_updates_sent == 8);
  CHECK(p.server.channel.counts().key_updates_received == 8);
}

TEST_CASE("channel: KEY_UPDATE is taken after the peer's END, and with content it is refused") {
  SUBCASE("after END, before END_ACK and more data the other way") {
    Pair p;
    p.inject(p.server, ContentType::end);
    CHECK(p.to_client() == Names{"END"});
    p.inject(p.server, ContentType::key_update);
    CHECK(p.to_client() == Names{"KEY_UPDATE"});
    CHECK(p.client.channel.counts().key_updates_received == 1);
    CHECK(p.client.events.log == std::vector<std::string>{"peer end"});
  }
  SUBCASE("content in a KEY_UPDATE") {
    Pair p;
    p.inject(p.client, ContentType::key_update, wire::bytes_of("x"));
    CHECK(thrown([&] { p.to_server(); }) ==
          "ProtocolError: protocol error: a key update with content");
    CHECK(p.server.channel.counts().key_updates_received == 0);
  }
}

TEST_CASE("channel: a peer that never updates its key is refused past the receiving limit") {
  // This side's receiving limit is 6 records per key; the peer's sending limit is the
  // protocol's, so it never updates in this test.
  const LimitsForTest limits(crypto::RecordLimits{crypto::RecordLimits::kSend, 6});
  Pair p;
  for (int i = 0; i < 5; ++i) {  // records 2 to 6 under the client's first key
    p.client.channel.send_data(wire::bytes_of(std::to_string(i)), p.client.out);
  }
  CHECK(p.to_server() == Names(5, "DATA"));
  p.client.channel.send_data(wire::bytes_of("one too many"), p.client.out);
  CHECK(thrown([&] { p.to_server(); }) ==
        "ProtocolError: protocol error: the peer sent more than 6 records under one key without "
        "a key update");
  CHECK(p.server.events.data == "01234");
}

TEST_CASE("channel: a KEY_UPDATE that does not arrive, or arrives again, fails the session") {
  const LimitsForTest limits(crypto::RecordLimits::with_send_limit(3));
  Pair p;
  for (const char* text : {"one", "two", "three"}) {
    p.server.channel.send_data(wire::bytes_of(text), p.server.out);
  }
  auto frames = split_frames(p.server.out);
  REQUIRE(frames.size() == 4);  // DATA, KEY_UPDATE, DATA, DATA
  SUBCASE("dropped") {
    frames.erase(frames.begin() + 1);
    p.server.out = join(frames);
    CHECK(thrown([&] { p.to_client(); }) ==
          "IntegrityError(tampered): tampering detected: record 2 failed authentication");
  }
  SUBCASE("replayed after the update") {
    frames.insert(frames.begin() + 2, frames[1]);
    p.server.out = join(frames);
    CHECK(thrown([&] { p.to_client(); }) ==
          "IntegrityError(tampered): tampering detected: record 3 failed authentication");
  }
  CHECK(p.client.events.log == std::vector<std::string>{"data one"});
}

TEST_CASE("channel: the peer's ABORT is a PeerAborted, which is not answered with another") {
  Pair p;
  p.server.channel.abort("interrupted", p.server.out);
  try {
    p.to_client();
    FAIL("no error");
  } catch (const chat::PeerAborted& e) {
    CHECK(chat::abort_text(e).empty());
  }
}

TEST_CASE(
    "abort_text: a short generic reason for errors after the handshake, none when the "
    "connection is gone") {
  using crypto::IntegrityError;
  CHECK(chat::abort_text(Interrupted(15, "interrupted by SIGTERM")) == "interrupted");
  CHECK(chat::abort_text(IntegrityError(IntegrityError::Kind::tampered, "tampering detected")) ==
        "a record failed authentication (tampering, replay or loss)");
  CHECK(chat::abort_text(IntegrityError(IntegrityError::Kind::replayed, "replay")) ==
        "a record failed authentication (tampering, replay or loss)");
  CHECK(chat::abort_text(IntegrityError(IntegrityError::Kind::truncated, "truncated")).empty());
  // The peer learns that it broke the protocol, not the details or anything local.
  CHECK(chat::abort_text(wire::ProtocolError("protocol error: a second END")) == "protocol error");
  CHECK(chat::abort_text(IoError("cannot read '/home/me/secret.txt': gone")) ==
        "a local input or output failed");
  CHECK(chat::abort_text(KeyError("/home/me/key: wrong passphrase")) == "internal error");
  CHECK(chat::abort_text(std::runtime_error("library detail")) == "internal error");
}
