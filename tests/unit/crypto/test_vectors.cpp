// The test vectors of PROTOCOL.md, checked against this implementation from the document
// itself, so the two cannot drift apart. Every value is recomputed from the vector's inputs
// with the pieces a second implementation would write (X25519, RSA-OAEP, RSA-PSS, SHA-256,
// HKDF, AES-GCM); none depends on how this code draws random numbers.
//
// Set CRYPTOCHAT_PRINT_VECTORS=1 to print a fresh vector block (made with fixed randomness).
#include <doctest/doctest.h>

#include <botan/hash.h>
#include <botan/hex.h>
#include <botan/pkcs8.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "crypto/fingerprint.hpp"
#include "crypto/handshake.hpp"
#include "crypto/handshake_error.hpp"
#include "crypto/key_file.hpp"
#include "crypto/key_schedule.hpp"
#include "crypto/record.hpp"
#include "crypto/rsa_ops.hpp"
#include "crypto/sas.hpp"
#include "crypto/x25519.hpp"
#include "fixed_rng.hpp"
#include "handshake_pair.hpp"
#include "test_support.hpp"
#include "wire/handshake_messages.hpp"
#include "wire/room_messages.hpp"

using namespace cryptochat;

namespace {

using Vectors = std::map<std::string, std::string>;

Vectors read_protocol_vectors() {
  std::ifstream in(std::string(TEST_DATA_DIR) + "/../../PROTOCOL.md");
  REQUIRE(in.good());
  Vectors v;
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.find("<!-- vectors begin -->") != std::string::npos) {
      inside = true;
    } else if (line.find("<!-- vectors end -->") != std::string::npos) {
      inside = false;
    } else if (inside) {
      const auto eq = line.find(" = ");
      if (eq != std::string::npos) {
        v[line.substr(0, eq)] = line.substr(eq + 3);
      }
    }
  }
  return v;
}

wire::Bytes hex(const Vectors& v, const std::string& name) {
  const auto it = v.find(name);
  REQUIRE_MESSAGE(it != v.end(), "PROTOCOL.md lacks vector " << name);
  const auto bytes = Botan::hex_decode(it->second);
  return {bytes.begin(), bytes.end()};
}

std::string to_hex(wire::ByteView b) {
  return Botan::hex_encode(b.data(), b.size(), false);
}

crypto::PrivateKey key_from_der(const wire::Bytes& der) {
  return crypto::parse_private_key(
      std::string_view(reinterpret_cast<const char*>(der.data()), der.size()), "vector", {});
}

wire::Bytes sha256(wire::ByteView data) {
  auto h = Botan::HashFunction::create_or_throw("SHA-256");
  h->update(data.data(), data.size());
  const auto d = h->final();
  return {d.begin(), d.end()};
}

wire::FrameView frame_view(const wire::Bytes& frame) {
  return {static_cast<wire::FrameType>(frame[0]), wire::ByteView(frame).first(5),
          wire::ByteView(frame).subspan(5)};
}

Botan::secure_vector<std::uint8_t> secure(const wire::Bytes& b) {
  return {b.begin(), b.end()};
}

}  // namespace

TEST_CASE("PROTOCOL.md vectors: transcript, secrets, signatures, keys and first records") {
  const Vectors v = read_protocol_vectors();
  const auto server_key = key_from_der(hex(v, "server_identity_pkcs8"));
  const auto client_key = key_from_der(hex(v, "client_identity_pkcs8"));
  const auto f_sh = hex(v, "frame_server_hello");
  const auto f_ch = hex(v, "frame_client_hello");
  const auto f_sk = hex(v, "frame_server_key");

  const auto sh = wire::parse_server_hello(frame_view(f_sh).body);
  const auto ch = wire::parse_client_hello(frame_view(f_ch).body);
  CHECK(sh.spki == server_key.public_key().spki_der());
  CHECK(ch.spki == client_key.public_key().spki_der());

  // Ephemeral keys: the public values in the hellos come from the listed private keys.
  const crypto::EphemeralKey server_eph(secure(hex(v, "server_ephemeral_private")));
  const crypto::EphemeralKey client_eph(secure(hex(v, "client_ephemeral_private")));
  CHECK(server_eph.public_value() == sh.ephemeral);
  CHECK(client_eph.public_value() == ch.ephemeral);
  test::FixedRng rng("unused");
  const auto shared = client_eph.agree(sh.ephemeral, rng);
  CHECK(to_hex(shared) == to_hex(hex(v, "x25519_shared")));
  CHECK(to_hex(server_eph.agree(ch.ephemeral, rng)) == to_hex(shared));

  // Key transport: each OAEP ciphertext decrypts to the listed secret.
  const auto client_secret = hex(v, "client_secret");
  const auto server_secret = hex(v, "server_secret");
  CHECK(to_hex(crypto::oaep_decrypt_or_random(server_key, ch.oaep_ciphertext, 32, rng)) ==
        to_hex(client_secret));
  const auto sk = wire::parse_server_key(frame_view(f_sk).body);
  CHECK(to_hex(crypto::oaep_decrypt_or_random(client_key, sk.oaep_ciphertext, 32, rng)) ==
        to_hex(server_secret));

  // The SAS: the commitment in SERVER_HELLO is to the nonce in SERVER_KEY, and the words come
  // from both hellos and that nonce (section 7).
  CHECK(to_hex(sh.sas_commitment) == to_hex(hex(v, "sas_commitment")));
  CHECK(to_hex(sk.sas_nonce) == to_hex(hex(v, "sas_nonce")));
  CHECK(crypto::sas_commitment(sk.sas_nonce) == sh.sas_commitment);
  wire::Bytes hellos = f_sh;
  hellos.insert(hellos.end(), f_ch.begin(), f_ch.end());
  const auto sas = crypto::derive_sas(hellos, sk.sas_nonce);
  CHECK(to_hex(sas) == to_hex(hex(v, "sas")));
  REQUIRE(v.count("sas_words") == 1);
  CHECK(crypto::sas_words(sas) == v.at("sas_words"));

  // The transcript hash over the three handshake frames.
  wire::Bytes transcript = f_sh;
  transcript.insert(transcript.end(), f_ch.begin(), f_ch.end());
  transcript.insert(transcript.end(), f_sk.begin(), f_sk.end());
  const auto th = sha256(transcript);
  CHECK(to_hex(th) == to_hex(hex(v, "transcript_hash")));

  // Key schedule.
  const auto keys = crypto::derive_session_keys(shared, client_secret, server_secret, th);
  CHECK(to_hex(keys.client_to_server.key) == to_hex(hex(v, "c2s_key")));
  CHECK(to_hex(keys.client_to_server.iv) == to_hex(hex(v, "c2s_iv")));
  CHECK(to_hex(keys.server_to_client.key) == to_hex(hex(v, "s2c_key")));
  CHECK(to_hex(keys.server_to_client.iv) == to_hex(hex(v, "s2c_iv")));

  // Records: AES-GCM is deterministic, so sealing the same content gives the same bytes.
  auto finished = [&](const char* name) {
    wire::Bytes p = th;
    p.push_back(static_cast<std::uint8_t>(std::string_view(name).size()));
    p.insert(p.end(), name, name + std::string_view(name).size());
    return p;
  };
  crypto::RecordSealer s2c(keys.server_to_client);
  wire::Bytes out;
  s2c.seal(crypto::ContentType::finished, finished("server"), out);
  CHECK(to_hex(out) == to_hex(hex(v, "record_server_finished")));
  crypto::RecordSealer c2s(keys.client_to_server);
  out.clear();
  c2s.seal(crypto::ContentType::finished, finished("client"), out);
  CHECK(to_hex(out) == to_hex(hex(v, "record_client_finished")));
  out.clear();
  const std::string hello = "hello\n";
  c2s.seal(crypto::ContentType::data,
           wire::ByteView(reinterpret_cast<const std::uint8_t*>(hello.data()), hello.size()), out);
  CHECK(to_hex(out) == to_hex(hex(v, "record_client_data_1")));

  // And the receiving side opens them.
  crypto::RecordOpener opener(keys.client_to_server);
  const auto fin_frame = hex(v, "record_client_finished");
  CHECK(opener.open(frame_view(fin_frame)).type == crypto::ContentType::finished);
  const auto data_frame = hex(v, "record_client_data_1");
  const auto rec = opener.open(frame_view(data_frame));
  CHECK(std::string(rec.data.begin(), rec.data.end()) == hello);
}

TEST_CASE("PROTOCOL.md vectors: a room server's ROOM_EVENT (joined, present) and RELAY records") {
  const Vectors v = read_protocol_vectors();
  const auto client_key = key_from_der(hex(v, "client_identity_pkcs8"));
  wire::Participant alice;
  const auto hash = crypto::spki_hash(client_key.public_key().spki_der());
  std::copy(hash.begin(), hash.end(), alice.key_hash.begin());
  alice.name = "alice";
  const wire::Bytes event = wire::encode(wire::RoomEvent{wire::RoomEventKind::joined, alice});
  wire::Bytes relay;
  wire::encode_relay_header(alice, relay);
  const std::string said = "hi all\n";
  relay.insert(relay.end(), said.begin(), said.end());

  // The server's records after its FINISHED (sequence 0) under the session's s2c keys.
  crypto::DirectionKeys s2c_keys;
  const auto key = hex(v, "s2c_key");
  const auto iv = hex(v, "s2c_iv");
  s2c_keys.key.assign(key.begin(), key.end());
  std::copy(iv.begin(), iv.end(), s2c_keys.iv.begin());
  crypto::RecordSealer sealer(s2c_keys);
  wire::Bytes finished;  // sequence 0: only its number matters to what follows
  sealer.seal(crypto::ContentType::finished, {}, finished);
  wire::Bytes event_record;
  sealer.seal(crypto::ContentType::room_event, event, event_record);
  wire::Bytes relay_record;
  sealer.seal(crypto::ContentType::relay, relay, relay_record);
  const wire::Bytes present = wire::encode(wire::RoomEvent{wire::RoomEventKind::present, alice});
  wire::Bytes present_record;
  sealer.seal(crypto::ContentType::room_event, present, present_record);
  const wire::Bytes verified = wire::encode(wire::RoomEvent{wire::RoomEventKind::verified, alice});
  wire::Bytes verified_record;
  sealer.seal(crypto::ContentType::room_event, verified, verified_record);

  if (std::getenv("CRYPTOCHAT_PRINT_VECTORS") != nullptr) {  // NOLINT(concurrency-mt-unsafe)
    std::cout << "room_event_joined_alice = " << to_hex(event) << "\n"
              << "record_server_room_event_1 = " << to_hex(event_record) << "\n"
              << "relay_alice_hi_all = " << to_hex(relay) << "\n"
              << "record_server_relay_2 = " << to_hex(relay_record) << "\n"
              << "room_event_present_alice = " << to_hex(present) << "\n"
              << "record_server_room_event_present_3 = " << to_hex(present_record) << "\n"
              << "room_event_verified_alice = " << to_hex(verified) << "\n"
              << "record_server_room_event_verified_4 = " << to_hex(verified_record) << "\n";
  }
  CHECK(to_hex(event) == to_hex(hex(v, "room_event_joined_alice")));
  CHECK(to_hex(event_record) == to_hex(hex(v, "record_server_room_event_1")));
  CHECK(to_hex(relay) == to_hex(hex(v, "relay_alice_hi_all")));
  CHECK(to_hex(relay_record) == to_hex(hex(v, "record_server_relay_2")));
  CHECK(to_hex(present) == to_hex(hex(v, "room_event_present_alice")));
  CHECK(to_hex(present_record) == to_hex(hex(v, "record_server_room_event_present_3")));
  CHECK(to_hex(verified) == to_hex(hex(v, "room_event_verified_alice")));
  CHECK(to_hex(verified_record) == to_hex(hex(v, "record_server_room_event_verified_4")));

  // A client opens and reads them.
  crypto::RecordOpener opener(s2c_keys);
  opener.open(frame_view(hex(v, "record_server_finished")));
  const auto event_frame = hex(v, "record_server_room_event_1");
  const auto opened_event = opener.open(frame_view(event_frame));
  REQUIRE(opened_event.type == crypto::ContentType::room_event);
  const auto parsed_event = wire::parse_room_event(opened_event.data);
  CHECK(parsed_event.kind == wire::RoomEventKind::joined);
  CHECK(parsed_event.who.name == "alice");
  CHECK(crypto::fingerprint_of_hash(parsed_event.who.key_hash) ==
        client_key.public_key().fingerprint());
  const auto relay_frame = hex(v, "record_server_relay_2");
  const auto opened_relay = opener.open(frame_view(relay_frame));
  REQUIRE(opened_relay.type == crypto::ContentType::relay);
  const auto parsed_relay = wire::parse_relay(opened_relay.data);
  CHECK(parsed_relay.sender.name == "alice");
  CHECK(std::string(parsed_relay.data.begin(), parsed_relay.data.end()) == said);
  const auto present_frame = hex(v, "record_server_room_event_present_3");
  const auto opened_present = opener.open(frame_view(present_frame));
  REQUIRE(opened_present.type == crypto::ContentType::room_event);
  const auto parsed_present = wire::parse_room_event(opened_present.data);
  CHECK(parsed_present.kind == wire::RoomEventKind::present);
  CHECK(parsed_present.who.name == "alice");
  CHECK(parsed_present.who.key_hash == parsed_event.who.key_hash);
}

TEST_CASE("PROTOCOL.md vectors: the client's key updates, generations 0 to 2, and its records") {
  const Vectors v = read_protocol_vectors();
  test::FixedRng rng("unused");
  const crypto::EphemeralKey client_eph(secure(hex(v, "client_ephemeral_private")));
  const auto sh = wire::parse_server_hello(frame_view(hex(v, "frame_server_hello")).body);
  const auto keys =
      crypto::derive_session_keys(client_eph.agree(sh.ephemeral, rng), hex(v, "client_secret"),
                                  hex(v, "server_secret"), hex(v, "transcript_hash"));
  // Generation 0 is section 4's keys; each update secret gives the next key, IV and secret.
  const auto& c2s_0 = keys.client_to_server;
  const auto c2s_1 = crypto::next_generation(c2s_0.next_secret);
  const auto c2s_2 = crypto::next_generation(c2s_1.next_secret);

  // The client's records after record_client_data_1: KEY_UPDATE (sequence 2, generation 0),
  // DATA (3, generation 1), KEY_UPDATE (4, generation 1), DATA (5, generation 2).
  crypto::RecordSealer sealer(c2s_0);
  wire::Bytes before;  // FINISHED and DATA 1: checked by the first test case
  sealer.seal(crypto::ContentType::finished, {}, before);
  sealer.seal(crypto::ContentType::data, {}, before);
  wire::Bytes update_2;
  sealer.seal_key_update(update_2);
  wire::Bytes data_3;
  sealer.seal(crypto::ContentType::data, wire::bytes_of("after one update\n"), data_3);
  wire::Bytes update_4;
  sealer.seal_key_update(update_4);
  wire::Bytes data_5;
  sealer.seal(crypto::ContentType::data, wire::bytes_of("after two\n"), data_5);

  if (std::getenv("CRYPTOCHAT_PRINT_VECTORS") != nullptr) {  // NOLINT(concurrency-mt-unsafe)
    std::cout << "c2s_secret_1 = " << to_hex(c2s_0.next_secret) << "\n"
              << "s2c_secret_1 = " << to_hex(keys.server_to_client.next_secret) << "\n"
              << "c2s_key_1 = " << to_hex(c2s_1.key) << "\n"
              << "c2s_iv_1 = " << to_hex(c2s_1.iv) << "\n"
              << "c2s_secret_2 = " << to_hex(c2s_1.next_secret) << "\n"
              << "c2s_key_2 = " << to_hex(c2s_2.key) << "\n"
              << "c2s_iv_2 = " << to_hex(c2s_2.iv) << "\n"
              << "record_client_key_update_2 = " << to_hex(update_2) << "\n"
              << "record_client_data_3 = " << to_hex(data_3) << "\n"
              << "record_client_key_update_4 = " << to_hex(update_4) << "\n"
              << "record_client_data_5 = " << to_hex(data_5) << "\n";
  }
  CHECK(to_hex(c2s_0.next_secret) == to_hex(hex(v, "c2s_secret_1")));
  CHECK(to_hex(keys.server_to_client.next_secret) == to_hex(hex(v, "s2c_secret_1")));
  CHECK(to_hex(c2s_1.key) == to_hex(hex(v, "c2s_key_1")));
  CHECK(to_hex(c2s_1.iv) == to_hex(hex(v, "c2s_iv_1")));
  CHECK(to_hex(c2s_1.next_secret) == to_hex(hex(v, "c2s_secret_2")));
  CHECK(to_hex(c2s_2.key) == to_hex(hex(v, "c2s_key_2")));
  CHECK(to_hex(c2s_2.iv) == to_hex(hex(v, "c2s_iv_2")));
  CHECK(to_hex(update_2) == to_hex(hex(v, "record_client_key_update_2")));
  CHECK(to_hex(data_3) == to_hex(hex(v, "record_client_data_3")));
  CHECK(to_hex(update_4) == to_hex(hex(v, "record_client_key_update_4")));
  CHECK(to_hex(data_5) == to_hex(hex(v, "record_client_data_5")));

  // A server opens the vectors' records in order, moving to the next key at each KEY_UPDATE.
  crypto::RecordOpener opener(c2s_0);
  for (const char* name : {"record_client_finished", "record_client_data_1"}) {
    opener.open(frame_view(hex(v, name)));
  }
  const auto frame_2 = hex(v, "record_client_key_update_2");
  const auto opened_2 = opener.open(frame_view(frame_2));
  CHECK(opened_2.type == crypto::ContentType::key_update);
  CHECK(opened_2.data.empty());
  opener.update_key();
  const auto frame_3 = hex(v, "record_client_data_3");
  const auto opened_3 = opener.open(frame_view(frame_3));
  CHECK(std::string(opened_3.data.begin(), opened_3.data.end()) == "after one update\n");
  const auto frame_4 = hex(v, "record_client_key_update_4");
  CHECK(opener.open(frame_view(frame_4)).type == crypto::ContentType::key_update);
  opener.update_key();
  const auto frame_5 = hex(v, "record_client_data_5");
  const auto opened_5 = opener.open(frame_view(frame_5));
  CHECK(std::string(opened_5.data.begin(), opened_5.data.end()) == "after two\n");
}

// A KEY_UPDATE is never a side's first record: in FINISHED's place it fails key confirmation
// like any other wrong record, under the right keys or not.
TEST_CASE("PROTOCOL.md vectors: a KEY_UPDATE instead of the server's FINISHED is refused") {
  const Vectors v = read_protocol_vectors();
  const auto client_key = key_from_der(hex(v, "client_identity_pkcs8"));
  crypto::HandshakeFixedSecrets fixed;
  fixed.ephemeral_private = secure(hex(v, "client_ephemeral_private"));
  fixed.key_transport_secret = secure(hex(v, "client_secret"));
  // The client of the vectors: the same fixed randomness gives the same CLIENT_HELLO.
  const auto client_until_finished = [&](test::FixedRng& rng) {
    auto client = std::make_unique<crypto::ClientHandshake>(client_key, "client", rng, &fixed);
    wire::Bytes out;
    REQUIRE(client->on_frame(frame_view(hex(v, "frame_server_hello")), out) ==
            crypto::HandshakeEvent::peer_identity);
    client->accept(out);
    CHECK(to_hex(out) == to_hex(hex(v, "frame_client_hello")));
    REQUIRE(client->on_frame(frame_view(hex(v, "frame_server_key")), out) ==
            crypto::HandshakeEvent::none);
    return client;
  };
  wire::Bytes out;
  {  // The vectors' FINISHED completes this handshake: the keys below are the session's.
    test::FixedRng rng("cryptochat vector client");
    auto client = client_until_finished(rng);
    CHECK(client->on_frame(frame_view(hex(v, "record_server_finished")), out) ==
          crypto::HandshakeEvent::established);
  }
  crypto::DirectionKeys s2c;
  const auto key = hex(v, "s2c_key");
  const auto iv = hex(v, "s2c_iv");
  s2c.key.assign(key.begin(), key.end());
  std::copy(iv.begin(), iv.end(), s2c.iv.begin());
  s2c.next_secret = secure(hex(v, "s2c_secret_1"));
  crypto::RecordSealer server(s2c);
  wire::Bytes update;
  server.seal_key_update(update);
  test::FixedRng rng("cryptochat vector client");
  auto client = client_until_finished(rng);
  CHECK_THROWS_WITH_AS(client->on_frame(frame_view(update), out),
                       doctest::Contains("key confirmation failed"), crypto::HandshakeError);
  CHECK_FALSE(client->established());
}

TEST_CASE("print fresh PROTOCOL.md vectors (CRYPTOCHAT_PRINT_VECTORS=1)") {
  if (std::getenv("CRYPTOCHAT_PRINT_VECTORS") == nullptr) {  // NOLINT(concurrency-mt-unsafe)
    return;
  }
  const auto server_key = crypto::parse_private_key(test::data_file("rsa2048_pkcs8.pem"), "s", {});
  const auto client_key = crypto::parse_private_key(test::data_file("client_rsa2048.pem"), "c", {});
  const auto fixed = [](std::uint8_t eph, std::uint8_t secret) {
    crypto::HandshakeFixedSecrets f;
    f.ephemeral_private.assign(32, eph);
    for (std::size_t i = 0; i < 32; ++i) {
      f.ephemeral_private[i] = static_cast<std::uint8_t>(eph + i);
      f.key_transport_secret.push_back(static_cast<std::uint8_t>(secret + i));
    }
    return f;
  };
  auto server_fixed = fixed(0x10, 0xA0);
  for (std::size_t i = 0; i < 32; ++i) {
    server_fixed.sas_nonce.push_back(static_cast<std::uint8_t>(0xE0 + i));
  }
  const auto client_fixed = fixed(0x40, 0xC0);
  test::FixedRng server_rng("cryptochat vector server");
  test::FixedRng client_rng("cryptochat vector client");
  crypto::ServerHandshake server(server_key, "server", server_rng, &server_fixed);
  crypto::ClientHandshake client(client_key, "client", client_rng, &client_fixed);
  const auto t = test::run_handshake(client, server);
  REQUIRE(t.frames.size() == 5);
  auto est = client.take_established();
  wire::Bytes data;
  const std::string hello = "hello\n";
  est.sealer.seal(crypto::ContentType::data,
                  wire::ByteView(reinterpret_cast<const std::uint8_t*>(hello.data()), hello.size()),
                  data);
  const crypto::EphemeralKey client_eph(client_fixed.ephemeral_private);
  const auto sh = wire::parse_server_hello(frame_view(t.frames[0]).body);
  const auto shared = client_eph.agree(sh.ephemeral, client_rng);
  const auto keys =
      crypto::derive_session_keys(shared, client_fixed.key_transport_secret,
                                  server_fixed.key_transport_secret, est.transcript_hash);
  auto line = [](const char* name, wire::ByteView b) {
    std::cout << name << " = " << to_hex(b) << "\n";
  };
  line("server_identity_pkcs8", Botan::PKCS8::BER_encode(server_key.botan()));
  line("client_identity_pkcs8", Botan::PKCS8::BER_encode(client_key.botan()));
  line("server_ephemeral_private", server_fixed.ephemeral_private);
  line("client_ephemeral_private", client_fixed.ephemeral_private);
  line("server_secret", server_fixed.key_transport_secret);
  line("client_secret", client_fixed.key_transport_secret);
  line("frame_server_hello", t.frames[0]);
  line("frame_client_hello", t.frames[1]);
  line("frame_server_key", t.frames[2]);
  line("x25519_shared", shared);
  line("transcript_hash", est.transcript_hash);
  line("c2s_key", keys.client_to_server.key);
  line("c2s_iv", keys.client_to_server.iv);
  line("s2c_key", keys.server_to_client.key);
  line("s2c_iv", keys.server_to_client.iv);
  line("record_server_finished", t.frames[3]);
  line("record_client_finished", t.frames[4]);
  line("record_client_data_1", data);
  line("sas_nonce", server_fixed.sas_nonce);
  wire::SasNonce nonce{};
  std::copy(server_fixed.sas_nonce.begin(), server_fixed.sas_nonce.end(), nonce.begin());
  line("sas_commitment", crypto::sas_commitment(nonce));
  line("sas", est.sas);
  std::cout << "sas_words = " << crypto::sas_words(est.sas) << "\n";
}
