#include <doctest/doctest.h>

#include <fmt/format.h>

#include <algorithm>

#include "crypto/handshake.hpp"
#include "crypto/handshake_error.hpp"
#include "crypto/key_file.hpp"
#include "crypto/key_schedule.hpp"
#include "crypto/random.hpp"
#include "crypto/rsa_ops.hpp"
#include "handshake_pair.hpp"
#include "test_support.hpp"
#include "util/error.hpp"
#include "wire/handshake_messages.hpp"

using namespace cryptochat;

namespace {

crypto::PrivateKey load(const char* name) {
  return crypto::parse_private_key(test::data_file(name), name, {});
}

wire::FrameView only_frame(wire::FrameDecoder& decoder, const wire::Bytes& bytes) {
  decoder.feed(bytes);
  auto f = decoder.next();
  REQUIRE(f.has_value());
  return *f;
}

}  // namespace

TEST_CASE("client and server agree on keys, identities and names") {
  const auto server_key = load("rsa2048_pkcs8.pem");
  const auto client_key = load("client_rsa2048.pem");
  crypto::ServerHandshake server(server_key, "srv", crypto::system_rng());
  crypto::ClientHandshake client(client_key, "alice", crypto::system_rng());
  test::run_handshake(client, server);
  REQUIRE(client.established());
  REQUIRE(server.established());
  auto c = client.take_established();
  auto s = server.take_established();
  CHECK(c.transcript_hash == s.transcript_hash);
  CHECK(c.peer_name == "srv");
  CHECK(s.peer_name == "alice");
  CHECK(c.peer_key.fingerprint() == server_key.public_key().fingerprint());
  CHECK(s.peer_key.fingerprint() == client_key.public_key().fingerprint());

  // Application data both ways, starting after the FINISHED records (sequence 1).
  wire::Bytes wire_bytes;
  const std::string hello = "hello, server";
  c.sealer.seal(crypto::ContentType::data,
                wire::ByteView(reinterpret_cast<const std::uint8_t*>(hello.data()), hello.size()),
                wire_bytes);
  wire::FrameDecoder dec;
  const auto record = s.opener.open(only_frame(dec, wire_bytes));
  CHECK(record.type == crypto::ContentType::data);
  CHECK(std::string(record.data.begin(), record.data.end()) == hello);
}

TEST_CASE("a flipped bit anywhere in the handshake stops it") {
  const auto server_key = load("rsa2048_pkcs8.pem");
  const auto client_key = load("client_rsa2048.pem");
  // Flip one bit in each server flight and client flight in turn, at several offsets.
  for (const bool from_server : {true, false}) {
    for (const std::size_t offset : {10U, 40U, 200U, 300U}) {
      CAPTURE(from_server);
      CAPTURE(offset);
      crypto::ServerHandshake server(server_key, "srv", crypto::system_rng());
      crypto::ClientHandshake client(client_key, "alice", crypto::system_rng());
      bool done = false;
      auto tamper = [&](wire::Bytes& bytes, bool dir) {
        if (dir == from_server && !done && bytes.size() > offset) {
          bytes[offset] ^= 0x01;
          done = true;
        }
      };
      CHECK_THROWS_AS(test::run_handshake(client, server, tamper), Error);
      CHECK(done);  // the offset lies inside a flight
      CHECK_FALSE((client.established() && server.established()));
    }
  }
}

TEST_CASE("a client hello changed in flight fails the server's key confirmation") {
  const auto real = load("rsa2048_pkcs8.pem");
  const auto client_key = load("client_rsa2048.pem");
  crypto::ClientHandshake client(client_key, "alice", crypto::system_rng());
  crypto::ServerHandshake server(real, "srv", crypto::system_rng());
  // Replace the client's OAEP ciphertext with other bytes of the right size: the server
  // decrypts a random secret (decrypt-or-random), so its FINISHED is under other keys.
  auto tamper = [](wire::Bytes& bytes, bool from_server) {
    if (!from_server && bytes.size() > 500 && bytes[0] == 0x02) {
      for (std::size_t i = bytes.size() - 256; i < bytes.size(); ++i) {
        bytes[i] = static_cast<std::uint8_t>(i * 7);
      }
    }
  };
  CHECK_THROWS_WITH_AS(test::run_handshake(client, server, tamper),
                       doctest::Contains("the server does not hold its key"),
                       crypto::HandshakeError);
  CHECK_FALSE(client.established());
}

TEST_CASE("a server showing a key it does not hold cannot finish the handshake") {
  // The impostor holds its own key but shows the real server's public key (which the client
  // trusts): the client's secret goes to the real key, which the impostor cannot decrypt.
  const auto real = load("rsa2048_pkcs8.pem");
  const auto impostor_key = load("client_rsa2048.pem");
  const auto client_key = load("client_rsa2048.pem");
  crypto::ServerHandshake impostor(impostor_key, "srv", crypto::system_rng());
  crypto::ClientHandshake client(client_key, "alice", crypto::system_rng());
  const auto shown = impostor_key.spki_der();
  const auto wanted = real.spki_der();
  REQUIRE(shown.size() == wanted.size());
  auto swap_key = [&](wire::Bytes& bytes, bool from_server) {
    if (from_server && bytes[0] == 0x01) {
      const auto at = std::search(bytes.begin(), bytes.end(), shown.begin(), shown.end());
      REQUIRE(at != bytes.end());
      std::copy(wanted.begin(), wanted.end(), at);
    }
  };
  CHECK_THROWS_WITH_AS(test::run_handshake(client, impostor, swap_key),
                       doctest::Contains("the server does not hold its key"),
                       crypto::HandshakeError);
  CHECK_FALSE(client.established());
  CHECK_FALSE(impostor.established());
}

TEST_CASE("a client showing a key it does not hold is refused by the server") {
  // A client that claims someone else's key cannot decrypt the server's secret, so any FINISHED
  // it makes is under other keys: here one sealed under keys of its own choosing.
  const auto server_key = load("rsa2048_pkcs8.pem");
  const auto victim = load("client_rsa2048.pem");
  crypto::ServerHandshake server(server_key, "srv", crypto::system_rng());
  wire::Bytes to_client;
  server.start(to_client);
  wire::FrameDecoder client_dec;
  const auto sh = wire::parse_server_hello(only_frame(client_dec, to_client).body);
  wire::ClientHello hello;
  hello.version = wire::kVersion3;
  hello.suite = wire::kSuiteAes256Gcm;
  hello.ephemeral = crypto::EphemeralKey(crypto::system_rng()).public_value();
  hello.spki = victim.spki_der();
  hello.oaep_ciphertext = crypto::oaep_encrypt(crypto::PublicKey::from_spki(sh.spki),
                                               wire::Bytes(32, 0x33), crypto::system_rng());
  wire::FrameDecoder server_dec;
  wire::Bytes out;
  REQUIRE(server.on_frame(
              only_frame(server_dec, wire::frame_of(wire::FrameType::client_hello, hello)), out) ==
          crypto::HandshakeEvent::peer_identity);
  server.accept(out);
  crypto::DirectionKeys guessed;
  guessed.key.assign(32, 0x44);
  crypto::RecordSealer sealer(guessed);
  wire::Bytes finished;
  sealer.seal(crypto::ContentType::finished, wire::Bytes(33, 0), finished);
  CHECK_THROWS_WITH_AS(server.on_frame(only_frame(server_dec, finished), out),
                       doctest::Contains("the client does not hold its key"),
                       crypto::HandshakeError);
  CHECK_FALSE(server.established());
}

TEST_CASE("OAEP decryption failures give random bytes, never an error (no padding oracle)") {
  const auto key = load("rsa2048_pkcs8.pem");
  auto& rng = crypto::system_rng();
  const wire::Bytes secret(32, 0x5A);
  const auto ct = crypto::oaep_encrypt(key.public_key(), secret, rng);
  const auto good = crypto::oaep_decrypt_or_random(key, ct, 32, rng);
  CHECK(wire::Bytes(good.begin(), good.end()) == secret);

  auto bad = ct;
  bad[100] ^= 1;
  const auto r1 = crypto::oaep_decrypt_or_random(key, bad, 32, rng);
  const auto r2 = crypto::oaep_decrypt_or_random(key, bad, 32, rng);
  CHECK(r1.size() == 32);
  CHECK(r1 != r2);  // fresh randomness each time
  CHECK(wire::Bytes(r1.begin(), r1.end()) != secret);

  // A ciphertext of the right length whose value is not below the modulus (Wycheproof's
  // "added n to c"): Botan throws on it; the answer must still be random bytes.
  const wire::Bytes too_large(256, 0xFF);
  CHECK(crypto::oaep_decrypt_or_random(key, too_large, 32, rng).size() == 32);
  const wire::Bytes short_ct(10, 1);
  CHECK(crypto::oaep_decrypt_or_random(key, short_ct, 32, rng).size() == 32);
  // A message of another length (16 bytes, validly padded) is refused the same way.
  const auto ct16 = crypto::oaep_encrypt(key.public_key(), wire::Bytes(16, 1), rng);
  CHECK(crypto::oaep_decrypt_or_random(key, ct16, 32, rng).size() == 32);
}

TEST_CASE("low-order X25519 points are refused") {
  crypto::EphemeralKey mine(crypto::system_rng());
  wire::Ephemeral zero{};  // the all-zero point gives an all-zero shared secret
  CHECK_THROWS_AS(static_cast<void>(mine.agree(zero, crypto::system_rng())),
                  crypto::HandshakeError);
  wire::Ephemeral one{};
  one[0] = 1;  // u = 1 is a point of order 4: also an all-zero result (RFC 7748, section 6.1)
  CHECK_THROWS_AS(static_cast<void>(mine.agree(one, crypto::system_rng())), crypto::HandshakeError);
}

TEST_CASE("the server refuses another protocol version with a clear error") {
  const auto server_key = load("rsa2048_pkcs8.pem");
  const auto client_key = load("client_rsa2048.pem");
  // Version 2 had no SAS commitment: it is refused like version 1 (PROTOCOL.md section 8).
  for (const std::uint16_t version : {1, 2}) {
    CAPTURE(version);
    crypto::ServerHandshake server(server_key, "srv", crypto::system_rng());
    wire::Bytes out;
    server.start(out);
    wire::ClientHello hello;
    hello.version = version;
    hello.suite = wire::kSuiteAes256Gcm;
    hello.spki = client_key.public_key().spki_der();
    hello.oaep_ciphertext.assign(256, 1);
    wire::FrameDecoder dec;
    CHECK_THROWS_WITH_AS(
        server.on_frame(only_frame(dec, wire::frame_of(wire::FrameType::client_hello, hello)), out),
        doctest::Contains(
            fmt::format("protocol version {} and this cryptochat speaks 3", version).c_str()),
        crypto::UnsupportedVersion);
  }
}

TEST_CASE("the client refuses a server hello without version 3 and reports alerts") {
  const auto client_key = load("client_rsa2048.pem");
  {
    crypto::ClientHandshake client(client_key, "alice", crypto::system_rng());
    wire::ServerHello hello;
    hello.versions = {2};
    hello.suites = {wire::kSuiteAes256Gcm};
    hello.spki = client_key.public_key().spki_der();
    wire::Bytes out;
    wire::FrameDecoder dec;
    CHECK_THROWS_WITH_AS(
        client.on_frame(only_frame(dec, wire::frame_of(wire::FrameType::server_hello, hello)), out),
        doctest::Contains("protocol version 2 and this cryptochat speaks 3"),
        crypto::HandshakeError);
  }
  {
    crypto::ClientHandshake client(client_key, "alice", crypto::system_rng());
    wire::Bytes out;
    wire::FrameDecoder dec;
    const wire::Alert alert{wire::AlertCode::not_authorized, "key not in the list\x1b[31m"};
    CHECK_THROWS_WITH_AS(
        client.on_frame(only_frame(dec, wire::frame_of(wire::FrameType::alert, alert)), out),
        doctest::Contains("refused this key"), AuthError);
  }
}
