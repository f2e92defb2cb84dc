// Writes the binary seeds of the fuzz corpus into DIR/<target>/ (DIR is usually
// tests/fuzz/corpus): real frames and messages from a client and a server handshaking in
// memory with exactly the keys and fixed RNG seeds of fuzz_client_handshake and
// fuzz_server_handshake (so replaying one side's frames takes the other side's target all the
// way to the established state), records sealed under fuzz_record's fixed key, and the RELAY
// and ROOM_EVENT contents of fuzz_room_messages.
//
//   build-fuzz/tests/fuzz/make_fuzz_seeds tests/fuzz/corpus
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "crypto/handshake.hpp"
#include "crypto/record.hpp"
#include "fuzz_common.hpp"
#include "handshake_pair.hpp"
#include "wire/frame.hpp"
#include "wire/handshake_messages.hpp"
#include "wire/room_messages.hpp"

using namespace cryptochat;

namespace {

std::filesystem::path g_dir;

void write_seed(const std::string& target, const std::string& name, const wire::Bytes& bytes) {
  const auto folder = g_dir / target;
  std::filesystem::create_directories(folder);
  std::ofstream out(folder / name, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    throw std::runtime_error("cannot write " + (folder / name).string());
  }
  std::cout << (folder / name).string() << " (" << bytes.size() << " bytes)\n";
}

wire::Bytes cat(std::initializer_list<wire::ByteView> parts) {
  wire::Bytes out;
  for (const auto& p : parts) {
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

struct Exchange {
  std::vector<wire::Bytes> to_client;  // frames the server sent, in order
  std::vector<wire::Bytes> to_server;  // frames the client sent, in order
  wire::Bytes client_record;           // a data record the established client sends
  wire::Bytes server_record;           // and one the established server sends
};

// One handshake between the two targets' exact configurations.
Exchange handshake() {
  fuzz::FixedRng client_rng(fuzz::kClientRngSeed);
  fuzz::FixedRng server_rng(fuzz::kServerRngSeed);
  crypto::ClientHandshake client(fuzz::client_identity(), fuzz::kClientName, client_rng);
  crypto::ServerHandshake server(fuzz::server_identity(), fuzz::kServerName, server_rng);
  const test::Transfer t = test::run_handshake(client, server);
  Exchange ex;
  ex.to_client = t.server_frames();
  ex.to_server = t.client_frames();
  if (!client.established() || !server.established()) {
    throw std::runtime_error("the seed handshake did not complete");
  }
  auto c = client.take_established();
  auto s = server.take_established();
  const std::string hello = "hello from the client";
  c.sealer.seal(crypto::ContentType::data,
                wire::ByteView(reinterpret_cast<const std::uint8_t*>(hello.data()), hello.size()),
                ex.client_record);
  const std::string reply = "hello from the server";
  s.sealer.seal(crypto::ContentType::data,
                wire::ByteView(reinterpret_cast<const std::uint8_t*>(reply.data()), reply.size()),
                ex.server_record);
  return ex;
}

wire::Bytes body_of(const wire::Bytes& frame) {
  return {frame.begin() + wire::kFrameHeaderSize, frame.end()};
}

wire::Bytes concat(const std::vector<wire::Bytes>& frames, std::size_t n) {
  wire::Bytes out;
  for (std::size_t i = 0; i < n && i < frames.size(); ++i) {
    out.insert(out.end(), frames[i].begin(), frames[i].end());
  }
  return out;
}

wire::Bytes prefixed(std::initializer_list<std::uint8_t> prefix, const wire::Bytes& rest) {
  wire::Bytes out(prefix);
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

wire::Bytes text_bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_fuzz_seeds DIR\n";
    return 2;
  }
  g_dir = argv[1];
  const Exchange ex = handshake();
  // to_client: server hello, server key, server finished.
  // to_server: client hello, client finished.
  const wire::Bytes server_stream = concat(ex.to_client, ex.to_client.size());
  const wire::Bytes client_stream = concat(ex.to_server, ex.to_server.size());
  const wire::Bytes alert = wire::frame_of(
      wire::FrameType::alert, wire::Alert{wire::AlertCode::not_authorized, "key not allowed"});

  // fuzz_client_handshake: what a server sends.
  write_seed("fuzz_client_handshake", "full_handshake", cat({server_stream, ex.server_record}));
  write_seed("fuzz_client_handshake", "server_hello", ex.to_client.at(0));
  write_seed("fuzz_client_handshake", "hello_then_key", concat(ex.to_client, 2));
  write_seed("fuzz_client_handshake", "hello_then_alert", cat({ex.to_client.at(0), alert}));

  // fuzz_server_handshake: what a client sends.
  write_seed("fuzz_server_handshake", "full_handshake", cat({client_stream, ex.client_record}));
  write_seed("fuzz_server_handshake", "client_hello", ex.to_server.at(0));
  write_seed("fuzz_server_handshake", "alert", alert);

  // fuzz_frame_decoder: [mode][seed] + stream.
  write_seed("fuzz_frame_decoder", "server_stream_whole", prefixed({0x00, 0x00}, server_stream));
  write_seed("fuzz_frame_decoder", "client_stream_small_chunks",
             prefixed({0x13, 0x5A}, client_stream));
  write_seed("fuzz_frame_decoder", "alert_then_record_bytewise",
             prefixed({0x00 + 0x01, 0x07}, cat({alert, ex.server_record})));
  write_seed("fuzz_frame_decoder", "not_a_peer",
             prefixed({0x02, 0x01}, text_bytes("HTTP/1.1 400 Bad")));
  {
    wire::Bytes oversize(wire::kFrameHeaderSize);
    wire::write_frame_header(oversize.data(), wire::FrameType::alert, wire::kMaxAlertBody + 1);
    write_seed("fuzz_frame_decoder", "oversize_alert", prefixed({0x05, 0x33}, oversize));
  }

  // fuzz_handshake_messages: [selector] + body.
  write_seed("fuzz_handshake_messages", "server_hello", prefixed({0}, body_of(ex.to_client.at(0))));
  write_seed("fuzz_handshake_messages", "client_hello", prefixed({1}, body_of(ex.to_server.at(0))));
  write_seed("fuzz_handshake_messages", "server_key", prefixed({2}, body_of(ex.to_client.at(1))));
  write_seed("fuzz_handshake_messages", "alert", prefixed({3}, body_of(alert)));

  // fuzz_record: mode 0 + records under the fixed key (0, 1, 2, then 1 again: a replay);
  // mode 1 + operations [ctrl][length u16][position u16].
  {
    crypto::RecordSealer sealer(fuzz::record_keys());
    wire::Bytes r0;
    wire::Bytes r1;
    wire::Bytes r2;
    const wire::Bytes msg = text_bytes("a chat line");
    sealer.seal(crypto::ContentType::data, msg, r0);
    sealer.seal(crypto::ContentType::end, {}, r1);
    sealer.seal(crypto::ContentType::abort, text_bytes("\x01oops"), r2);
    write_seed("fuzz_record", "open_records", prefixed({0x00}, cat({r0, r1, r2})));
    write_seed("fuzz_record", "open_replay", prefixed({0x00}, cat({r0, r1, r1})));
    write_seed("fuzz_record", "open_dropped", prefixed({0x00}, cat({r0, r2})));
    write_seed("fuzz_record", "seal_open",
               prefixed({0x01}, {0x00, 0x00, 0x10, 0x00, 0x00, 0x83, 0x00, 0x05, 0x00, 0x30,
                                 0x02, 0xFF, 0xFF, 0x00, 0x00, 0x04, 0x00, 0x00, 0x12, 0x34}));
  }

  // fuzz_room_messages: RELAY and ROOM_EVENT contents (the whole input goes to both parsers).
  {
    wire::Participant alice;
    for (std::size_t i = 0; i < alice.key_hash.size(); ++i) {
      alice.key_hash[i] = static_cast<std::uint8_t>(i);
    }
    alice.name = "alice";
    wire::Participant unnamed;  // a participant without a display name (not a person)
    unnamed.key_hash.fill(0xC3);
    wire::Participant longest;
    longest.key_hash.fill(0x5A);
    longest.name = std::string(wire::kMaxNameSize, 'n');
    const auto relay = [](const wire::Participant& from, const wire::Bytes& data) {
      wire::Bytes out;
      wire::encode_relay_header(from, out);
      out.insert(out.end(), data.begin(), data.end());
      return out;
    };
    write_seed("fuzz_room_messages", "relay_alice", relay(alice, text_bytes("hi all\n")));
    write_seed("fuzz_room_messages", "relay_unnamed_one_byte", relay(unnamed, {0x00}));
    write_seed("fuzz_room_messages", "relay_longest_name", relay(longest, text_bytes("x")));
    wire::Bytes nested;  // data that looks like another header
    wire::encode_relay_header(alice, nested);
    write_seed("fuzz_room_messages", "relay_header_as_data", relay(unnamed, nested));
    write_seed("fuzz_room_messages", "joined_alice",
               wire::encode(wire::RoomEvent{wire::RoomEventKind::joined, alice}));
    write_seed("fuzz_room_messages", "present_alice",
               wire::encode(wire::RoomEvent{wire::RoomEventKind::present, alice}));
    write_seed("fuzz_room_messages", "left_unnamed",
               wire::encode(wire::RoomEvent{wire::RoomEventKind::left, unnamed}));
    write_seed("fuzz_room_messages", "left_longest_name",
               wire::encode(wire::RoomEvent{wire::RoomEventKind::left, longest}));
    wire::Bytes too_long = wire::encode(wire::RoomEvent{wire::RoomEventKind::joined, longest});
    too_long[1 + wire::kKeyHashSize] = wire::kMaxNameSize + 1;  // name_len 65, 64 bytes follow
    too_long.push_back('n');
    write_seed("fuzz_room_messages", "name_length_65", too_long);

    // fuzz_channel: [role][ends_with_peer] then ops [ctrl][length u16][content]; ctrl % 4 < 3
    // is a record of content type ctrl >> 2 from the peer, ctrl % 4 == 3 this side's command.
    const auto op = [](std::uint8_t ctrl, const wire::Bytes& content) {
      wire::Bytes out{ctrl, static_cast<std::uint8_t>(content.size() >> 8U),
                      static_cast<std::uint8_t>(content.size() & 0xFFU)};
      out.insert(out.end(), content.begin(), content.end());
      return out;
    };
    const auto peer = [](crypto::ContentType type) {
      return static_cast<std::uint8_t>(static_cast<unsigned>(type) << 2U);
    };
    const std::uint8_t send_data = 0x03;
    const std::uint8_t end = 0x07;
    const std::uint8_t quit = 0x0B;
    const wire::Bytes hello = text_bytes("hello\n");
    const wire::Bytes client_half_close{0x00, 0x00};
    const wire::Bytes client_ends_with_peer{0x00, 0x01};
    const wire::Bytes server_half_close{0x01, 0x00};
    const wire::Bytes server_ends_with_peer{0x01, 0x01};
    write_seed("fuzz_channel", "close_both_ways",
               cat({client_half_close, op(peer(crypto::ContentType::data), hello),
                    op(send_data, hello), op(end, {}), op(peer(crypto::ContentType::end), {}),
                    op(peer(crypto::ContentType::end_ack), {})}));
    write_seed(
        "fuzz_channel", "peer_quits",
        cat({server_ends_with_peer, op(peer(crypto::ContentType::data), hello),
             op(peer(crypto::ContentType::quit), {}), op(peer(crypto::ContentType::end_ack), {})}));
    write_seed("fuzz_channel", "room_relay_and_events",
               cat({client_ends_with_peer,
                    op(peer(crypto::ContentType::room_event),
                       wire::encode(wire::RoomEvent{wire::RoomEventKind::present, alice})),
                    op(peer(crypto::ContentType::relay), relay(alice, hello)),
                    op(peer(crypto::ContentType::room_event),
                       wire::encode(wire::RoomEvent{wire::RoomEventKind::left, alice})),
                    op(quit, {}), op(peer(crypto::ContentType::end_ack), {}),
                    op(peer(crypto::ContentType::end), {})}));
    write_seed("fuzz_channel", "data_after_end",
               cat({server_half_close, op(peer(crypto::ContentType::end), {}),
                    op(peer(crypto::ContentType::data), hello)}));
    write_seed(
        "fuzz_channel", "peer_aborts",
        cat({client_half_close, op(peer(crypto::ContentType::abort), text_bytes("disk full"))}));
    // Key limits of 2 records on both sides ([ends] = 0b010): every other record either way is
    // KEY_UPDATE; then one the peer sends itself, and the close.
    write_seed(
        "fuzz_channel", "key_updates_both_ways",
        cat({wire::Bytes{0x00, 0x02}, op(peer(crypto::ContentType::data), hello),
             op(send_data, hello), op(peer(crypto::ContentType::data), hello), op(send_data, hello),
             op(peer(crypto::ContentType::key_update), {}), op(end, {}),
             op(peer(crypto::ContentType::end_ack), {}), op(peer(crypto::ContentType::end), {})}));
    // The channel refuses more than 12 records per key from a peer that never updates
    // ([ends] = 0b100).
    wire::Bytes flood{0x01, 0x04};
    for (int i = 0; i < 14; ++i) {
      const wire::Bytes more = op(peer(crypto::ContentType::data), hello);
      flood.insert(flood.end(), more.begin(), more.end());
    }
    write_seed("fuzz_channel", "peer_never_updates", flood);
  }
  return 0;
}
