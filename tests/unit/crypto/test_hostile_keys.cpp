// Peer keys chosen by an attacker (PROTOCOL.md section 3, "Cryptographic parameters"): only an
// odd modulus of 2048 to 8192 bits with the public exponent 65537 is used, on either side, and
// the server spends no private-key operation on a client it has not admitted.
#include <doctest/doctest.h>

#include <botan/bigint.h>
#include <botan/der_enc.h>
#include <botan/pkcs8.h>
#include <botan/rsa.h>

#include <cstdint>
#include <string>
#include <vector>

#include "crypto/handshake.hpp"
#include "crypto/handshake_error.hpp"
#include "crypto/key_file.hpp"
#include "crypto/keys.hpp"
#include "crypto/random.hpp"
#include "handshake_pair.hpp"
#include "test_support.hpp"
#include "util/error.hpp"
#include "wire/handshake_messages.hpp"

using namespace cryptochat;

namespace {

crypto::PrivateKey load(const char* name) {
  return crypto::parse_private_key(test::data_file(name), name, {});
}

// A DER SubjectPublicKeyInfo for any (n, e), as an attacker would write it: Botan's own
// encoder would refuse some of these numbers.
std::vector<std::uint8_t> spki_of(const Botan::BigInt& n, const Botan::BigInt& e) {
  const std::vector<std::uint8_t> rsa_public = Botan::DER_Encoder()
                                                   .start_cons(Botan::SEQUENCE)
                                                   .encode(n)
                                                   .encode(e)
                                                   .end_cons()
                                                   .get_contents_unlocked();
  return Botan::DER_Encoder()
      .start_cons(Botan::SEQUENCE)
      .encode(Botan::AlgorithmIdentifier(Botan::OID({1, 2, 840, 113549, 1, 1, 1}),
                                         Botan::AlgorithmIdentifier::USE_NULL_PARAM))
      .encode(rsa_public, Botan::BIT_STRING)
      .end_cons()
      .get_contents_unlocked();
}

Botan::BigInt power_of_two(std::size_t bits) {
  Botan::BigInt x(1);
  x <<= bits;
  return x;
}

struct Hostile {
  const char* what;
  Botan::BigInt e;
  const char* message;
};

// The exponents of issue 15, each with the modulus of a real key.
std::vector<Hostile> hostile_exponents(const Botan::BigInt& n) {
  return {
      {"e = 1", Botan::BigInt(1), "must be 65537, not 1"},
      {"e = 3", Botan::BigInt(3), "must be 65537, not 3"},
      {"e = 65539", Botan::BigInt(65539), "must be 65537, not 65539"},
      {"e > n", n + 2, "must be 65537, not a 2048-bit number"},
      {"a 4096-bit e", power_of_two(4095) + 1, "must be 65537, not a 4096-bit number"},
      {"e = 2^32 + 1", power_of_two(32) + 1, "must be 65537, not a 33-bit number"},
  };
}

wire::FrameView only_frame(wire::FrameDecoder& decoder, const wire::Bytes& bytes) {
  decoder.feed(bytes);
  auto f = decoder.next();
  REQUIRE(f.has_value());
  return *f;
}

// Counts what is drawn from it: the server's OAEP decryption draws its fallback secret.
class CountingRng final : public Botan::RandomNumberGenerator {
 public:
  std::size_t drawn = 0;
  [[nodiscard]] std::string name() const override { return "CountingRng"; }
  [[nodiscard]] bool is_seeded() const override { return true; }
  [[nodiscard]] bool accepts_input() const override { return false; }
  void clear() override {}
  void add_entropy(const std::uint8_t* /*input*/, std::size_t /*length*/) override {}
  void randomize(std::uint8_t output[], std::size_t length) override {
    drawn += length;
    crypto::system_rng().randomize(output, length);
  }
};

}  // namespace

TEST_CASE("check_rsa_public accepts only an odd 2048..8192-bit modulus with e = 65537") {
  const auto key = load("client_rsa2048.pem");
  const Botan::BigInt& n = key.botan().get_n();
  CHECK_NOTHROW(crypto::check_rsa_public(n, Botan::BigInt(65537), "k"));
  for (const auto& h : hostile_exponents(n)) {
    CAPTURE(h.what);
    CHECK_THROWS_WITH_AS(crypto::check_rsa_public(n, h.e, "k"), doctest::Contains(h.message),
                         KeyError);
  }
  CHECK_THROWS_WITH_AS(crypto::check_rsa_public(n + 1, Botan::BigInt(65537), "k"),
                       doctest::Contains("modulus is even"), KeyError);
  CHECK_THROWS_WITH_AS(crypto::check_rsa_public(power_of_two(1023) + 1, Botan::BigInt(65537), "k"),
                       doctest::Contains("too weak"), KeyError);
  CHECK_THROWS_WITH_AS(crypto::check_rsa_public(power_of_two(8192) + 1, Botan::BigInt(65537), "k"),
                       doctest::Contains("larger than"), KeyError);
}

TEST_CASE("a public key with another exponent is refused when decoded") {
  const auto key = load("client_rsa2048.pem");
  const Botan::BigInt& n = key.botan().get_n();
  CHECK(crypto::PublicKey::from_spki(spki_of(n, Botan::BigInt(65537))).fingerprint() ==
        key.fingerprint());
  for (const auto& h : hostile_exponents(n)) {
    CAPTURE(h.what);
    CHECK_THROWS_WITH_AS(static_cast<void>(crypto::PublicKey::from_spki(spki_of(n, h.e))),
                         doctest::Contains(h.message), KeyError);
  }
  // An even exponent or modulus: Botan's decoder refuses it before our check.
  CHECK_THROWS_AS(static_cast<void>(crypto::PublicKey::from_spki(spki_of(n, Botan::BigInt(4)))),
                  KeyError);
  CHECK_THROWS_AS(
      static_cast<void>(crypto::PublicKey::from_spki(spki_of(n + 1, Botan::BigInt(65537)))),
      KeyError);
}

TEST_CASE("our own key file with another exponent is refused when it is loaded") {
  const Botan::RSA_PrivateKey e3(crypto::system_rng(), 2048, 3);
  const std::string pem = Botan::PKCS8::PEM_encode(e3);
  CHECK_THROWS_WITH_AS(static_cast<void>(crypto::parse_private_key(pem, "e3.pem", {})),
                       doctest::Contains("e3.pem: the RSA public exponent must be 65537, not 3"),
                       KeyError);
  // Not read ahead in the background either: the clear error comes at once.
  CHECK_FALSE(crypto::public_half_of_private_key(pem).has_value());
  // keygen makes 65537.
  CHECK(crypto::PrivateKey::generate(2048).botan().get_e() == 65537);
}

TEST_CASE("a server refuses a client key with another exponent before any private-key work") {
  const auto server_key = load("rsa2048_pkcs8.pem");
  const auto client_key = load("client_rsa2048.pem");
  for (const auto& h : hostile_exponents(client_key.botan().get_n())) {
    CAPTURE(h.what);
    CountingRng rng;
    crypto::ServerHandshake server(server_key, "srv", rng);
    wire::Bytes out;
    server.start(out);
    const std::size_t after_start = rng.drawn;
    out.clear();
    wire::ClientHello hello;
    hello.version = wire::kVersion3;
    hello.suite = wire::kSuiteAes256Gcm;
    hello.spki = spki_of(client_key.botan().get_n(), h.e);
    hello.oaep_ciphertext.assign(256, 1);
    wire::FrameDecoder dec;
    try {
      static_cast<void>(server.on_frame(
          only_frame(dec, wire::frame_of(wire::FrameType::client_hello, hello)), out));
      FAIL("the key was taken");
    } catch (const crypto::HandshakeError& e) {
      CHECK(std::string(e.what()).find("the client's public key is not acceptable") !=
            std::string::npos);
      CHECK(std::string(e.what()).find(h.message) != std::string::npos);
      CHECK(e.alert() == AlertCode::handshake_failed);
      CHECK(e.code() == ExitCode::failure);
    }
    CHECK(out.empty());
    CHECK(rng.drawn == after_start);  // no OAEP decryption, no encryption to the key
  }
}

TEST_CASE("the server decrypts the client's secret only after the key was admitted") {
  const auto server_key = load("rsa2048_pkcs8.pem");
  const auto client_key = load("client_rsa2048.pem");
  CountingRng rng;
  crypto::ServerHandshake server(server_key, "srv", rng);
  crypto::ClientHandshake client(client_key, "alice", crypto::system_rng());
  wire::Bytes to_client;
  wire::Bytes to_server;
  server.start(to_client);
  wire::FrameDecoder client_in;
  REQUIRE(client.on_frame(only_frame(client_in, to_client), to_server) ==
          crypto::HandshakeEvent::peer_identity);
  client.accept(to_server);
  const std::size_t before = rng.drawn;
  wire::FrameDecoder server_in;
  wire::Bytes out;
  REQUIRE(server.on_frame(only_frame(server_in, to_server), out) ==
          crypto::HandshakeEvent::peer_identity);
  // The decision on the key comes here: nothing was decrypted or sent yet.
  CHECK(rng.drawn == before);
  CHECK(out.empty());
  server.accept(out);
  CHECK(rng.drawn >= before + 32);  // the decryption's fallback secret (and OAEP's seed)
}

TEST_CASE("a client refuses a server key with another exponent before it sends anything") {
  const auto client_key = load("client_rsa2048.pem");
  const auto server_key = load("rsa2048_pkcs8.pem");
  for (const auto& h : hostile_exponents(server_key.botan().get_n())) {
    CAPTURE(h.what);
    crypto::ClientHandshake client(client_key, "alice", crypto::system_rng());
    wire::ServerHello hello;
    hello.versions = {wire::kVersion3};
    hello.suites = {wire::kSuiteAes256Gcm};
    hello.spki = spki_of(server_key.botan().get_n(), h.e);
    wire::Bytes out;
    wire::FrameDecoder dec;
    const std::string expected =
        std::string(
            "the server's public key is not acceptable: public key: the RSA public exponent ") +
        h.message;
    CHECK_THROWS_WITH_AS(
        client.on_frame(only_frame(dec, wire::frame_of(wire::FrameType::server_hello, hello)), out),
        doctest::Contains(expected.c_str()), crypto::HandshakeError);
    CHECK(out.empty());
    CHECK_FALSE(client.peer_key().has_value());
  }
}

TEST_CASE("an unoffered suite is unsupported_version on both sides") {
  const auto server_key = load("rsa2048_pkcs8.pem");
  const auto client_key = load("client_rsa2048.pem");
  {
    crypto::ServerHandshake server(server_key, "srv", crypto::system_rng());
    wire::Bytes out;
    server.start(out);
    wire::ClientHello hello;
    hello.version = wire::kVersion3;
    hello.suite = 2;
    hello.spki = client_key.spki_der();
    hello.oaep_ciphertext.assign(256, 1);
    wire::FrameDecoder dec;
    CHECK_THROWS_WITH_AS(
        server.on_frame(only_frame(dec, wire::frame_of(wire::FrameType::client_hello, hello)), out),
        doctest::Contains("cipher suite 2, which was not offered"), crypto::UnsupportedVersion);
  }
  {
    crypto::ClientHandshake client(client_key, "alice", crypto::system_rng());
    wire::ServerHello hello;
    hello.versions = {wire::kVersion3};
    hello.suites = {2, 3};
    hello.spki = server_key.spki_der();
    wire::Bytes out;
    wire::FrameDecoder dec;
    CHECK_THROWS_WITH_AS(
        client.on_frame(only_frame(dec, wire::frame_of(wire::FrameType::server_hello, hello)), out),
        doctest::Contains("offers cipher suite 2, 3"), crypto::UnsupportedVersion);
  }
}

// PROTOCOL.md section 8: only the fields up to the suites are the same in every version.
TEST_CASE("version errors name the peer's versions whatever layout follows them") {
  const auto client_key = load("client_rsa2048.pem");
  const auto server_key = load("rsa2048_pkcs8.pem");
  {
    // A SERVER_HELLO of versions 4 and 5 whose rest is not version 3's layout.
    wire::Bytes body(wire::kMagic.begin(), wire::kMagic.end());
    for (const std::uint8_t b : {2, 0, 4, 0, 5, 1, 0, 9}) {
      body.push_back(b);
    }
    body.insert(body.end(), {0xde, 0xad, 0xbe, 0xef});
    wire::Bytes frame;
    wire::append_frame(frame, wire::FrameType::server_hello, body);
    crypto::ClientHandshake client(client_key, "alice", crypto::system_rng());
    wire::Bytes out;
    wire::FrameDecoder dec;
    CHECK_THROWS_WITH_AS(client.on_frame(only_frame(dec, frame), out),
                         doctest::Contains("protocol version 4, 5 and this cryptochat speaks 3"),
                         crypto::UnsupportedVersion);
    // With version 3 and suite 1 listed, the rest must be version 3's layout.
    body[6] = 3;
    body[11] = 1;
    wire::Bytes frame2;
    wire::append_frame(frame2, wire::FrameType::server_hello, body);
    crypto::ClientHandshake client2(client_key, "alice", crypto::system_rng());
    wire::FrameDecoder dec2;
    try {
      static_cast<void>(client2.on_frame(only_frame(dec2, frame2), out));
      FAIL("a malformed version 3 hello was taken");
    } catch (const crypto::UnsupportedVersion& e) {
      FAIL(e.what());
    } catch (const wire::ProtocolError& e) {
      CHECK(std::string(e.what()).find("server hello") != std::string::npos);
    }
  }
  {
    // A CLIENT_HELLO of version 4 with a body that is not version 3's layout.
    wire::Bytes body(wire::kMagic.begin(), wire::kMagic.end());
    body.insert(body.end(), {0x00, 0x04, 0x00, 0x07, 0x01});
    wire::Bytes frame;
    wire::append_frame(frame, wire::FrameType::client_hello, body);
    crypto::ServerHandshake server(server_key, "srv", crypto::system_rng());
    wire::Bytes out;
    server.start(out);
    wire::FrameDecoder dec;
    CHECK_THROWS_WITH_AS(server.on_frame(only_frame(dec, frame), out),
                         doctest::Contains("the client speaks protocol version 4"),
                         crypto::UnsupportedVersion);
  }
}
