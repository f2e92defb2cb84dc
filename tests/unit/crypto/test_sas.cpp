// The short authentication string (PROTOCOL.md section 7): its word list, that both sides of a
// handshake see the same words and the two legs of a man in the middle do not, that a server
// cannot reveal a nonce other than the one it committed to, and that a man in the middle who
// grinds its own hello cannot steer the words.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/handshake.hpp"
#include "crypto/handshake_error.hpp"
#include "crypto/key_file.hpp"
#include "crypto/random.hpp"
#include "crypto/sas.hpp"
#include "handshake_pair.hpp"
#include "test_support.hpp"
#include "util/edit_distance.hpp"
#include "wire/handshake_messages.hpp"

using namespace cryptochat;

namespace {

crypto::PrivateKey load(const char* name) {
  return crypto::parse_private_key(test::data_file(name), name, {});
}

// The words between the sas-words markers of PROTOCOL.md, each line "XX  w w w w w w w w" with
// XX the byte value of its first word; checks that prefix on the way.
std::vector<std::string> protocol_word_list() {
  std::ifstream in(std::string(TEST_DATA_DIR) + "/../../PROTOCOL.md");
  REQUIRE(in.good());
  std::vector<std::string> words;
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.find("<!-- sas words begin -->") != std::string::npos) {
      inside = true;
    } else if (line.find("<!-- sas words end -->") != std::string::npos) {
      inside = false;
    } else if (inside && line.size() > 2 &&
               std::isxdigit(static_cast<unsigned char>(line[0])) != 0) {
      std::istringstream fields(line);
      std::string prefix;
      fields >> prefix;
      CHECK(std::stoul(prefix, nullptr, 16) == words.size());
      for (std::string word; fields >> word;) {
        words.push_back(word);
      }
    }
  }
  return words;
}

// The first frame in `bytes`, whole.
wire::Bytes first_frame(const wire::Bytes& bytes) {
  wire::FrameDecoder decoder;
  decoder.feed(bytes);
  const auto f = decoder.next();
  REQUIRE(f.has_value());
  wire::Bytes whole(f->header.begin(), f->header.end());
  whole.insert(whole.end(), f->body.begin(), f->body.end());
  return whole;
}

// A fresh client's CLIENT_HELLO in answer to `server_hello` (a new ephemeral key and secret
// each time): one candidate of a grinding man in the middle.
wire::Bytes client_hello_for(const crypto::PrivateKey& key, const wire::Bytes& server_hello) {
  crypto::ClientHandshake client(key, "mallory", crypto::system_rng());
  wire::FrameDecoder in;
  in.feed(server_hello);
  const auto f = in.next();
  REQUIRE(f.has_value());
  wire::Bytes out;
  REQUIRE(client.on_frame(*f, out) == crypto::HandshakeEvent::peer_identity);
  client.accept(out);
  return out;
}

wire::Bytes concat(const wire::Bytes& a, const wire::Bytes& b) {
  wire::Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

}  // namespace

TEST_CASE("the SAS word list: 256 distinct words a person can say, as PROTOCOL.md lists them") {
  const auto list = crypto::sas_word_list();
  REQUIRE(list.size() == 256);
  std::set<std::string> prefixes;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string_view w = list[i];
    CAPTURE(w);
    CHECK(w.size() >= 3);
    CHECK(w.size() <= 8);
    CHECK(std::all_of(w.begin(), w.end(), [](char c) { return c >= 'a' && c <= 'z'; }));
    CHECK(prefixes.insert(std::string(w.substr(0, 3))).second);
    if (i > 0) {
      CHECK(list[i - 1] < w);
    }
    for (std::size_t j = 0; j < i; ++j) {
      CHECK(edit_distance(list[j], w) >= 2);
    }
  }
  const auto documented = protocol_word_list();
  REQUIRE(documented.size() == list.size());
  for (std::size_t i = 0; i < list.size(); ++i) {
    CHECK(documented[i] == list[i]);
  }
  CHECK(crypto::sas_words(crypto::Sas{0x00, 0x01, 0xfe, 0xff}) == "acorn album zebra zipper");
}

TEST_CASE("both sides show the same words; the two legs of a man in the middle do not") {
  const auto server_key = load("rsa2048_pkcs8.pem");
  const auto client_key = load("client_rsa2048.pem");
  const auto mallory_key = load("mallory_rsa2048.pem");
  // Leg 1: the real client talks to mallory, who poses as the server.
  crypto::ClientHandshake client(client_key, "alice", crypto::system_rng());
  crypto::ServerHandshake mallory_server(mallory_key, "srv", crypto::system_rng());
  test::run_handshake(client, mallory_server);
  // Leg 2: mallory, as a client, talks to the real server.
  crypto::ClientHandshake mallory_client(mallory_key, "alice", crypto::system_rng());
  crypto::ServerHandshake server(server_key, "srv", crypto::system_rng());
  test::run_handshake(mallory_client, server);
  REQUIRE(client.established());
  REQUIRE(server.established());
  const auto leg1_client = client.take_established().sas;
  const auto leg1_mallory = mallory_server.take_established().sas;
  const auto leg2_mallory = mallory_client.take_established().sas;
  const auto leg2_server = server.take_established().sas;
  CHECK(leg1_client == leg1_mallory);
  CHECK(leg2_mallory == leg2_server);
  // What the two people compare (equal by a 2^-32 chance only).
  CHECK(crypto::sas_words(leg1_client) != crypto::sas_words(leg2_server));
}

TEST_CASE("a SERVER_KEY that reveals another nonce than SERVER_HELLO committed to is refused") {
  const auto server_key = load("rsa2048_pkcs8.pem");
  const auto client_key = load("client_rsa2048.pem");
  for (const std::size_t from_end : {1U, 16U, 32U}) {
    CAPTURE(from_end);
    crypto::ServerHandshake server(server_key, "srv", crypto::system_rng());
    crypto::ClientHandshake client(client_key, "alice", crypto::system_rng());
    int server_flight = 0;
    // The second server flight starts with SERVER_KEY, whose last 32 bytes are the nonce.
    auto tamper = [&](wire::Bytes& bytes, bool from_server) {
      if (from_server && ++server_flight == 2) {
        auto frames = test::split_frames(bytes);
        REQUIRE(!frames.empty());
        REQUIRE(frames[0][0] == static_cast<std::uint8_t>(wire::FrameType::server_key));
        frames[0][frames[0].size() - from_end] ^= 0x20U;
        bytes.clear();
        for (const auto& f : frames) {
          bytes.insert(bytes.end(), f.begin(), f.end());
        }
      }
    };
    try {
      test::run_handshake(client, server, tamper);
      FAIL("the handshake went through with another nonce");
    } catch (const crypto::HandshakeError& e) {
      CHECK(std::string(e.what()).find("does not match the commitment") != std::string::npos);
      CHECK(e.alert() == AlertCode::handshake_failed);
    }
    CHECK(server_flight == 2);
    CHECK(!client.established());
  }
}

// A man in the middle finished its leg with the real client (it knows those words) and now
// plays the client to the real server. Its one free move is its CLIENT_HELLO, made after it saw
// only the server's commitment: it grinds fresh hellos until the words it can compute (with the
// nonce it has to guess) match the first word of its other leg, sends that hello, and learns
// the real nonce from SERVER_KEY. The grinding itself works — it finds a match within its
// budget every time, which is all a derivation without the commitment would need — yet the
// real words match the first word at chance (1 in 256), and the four words never.
TEST_CASE("a man in the middle who grinds its hello cannot choose the words") {
  const auto server_key = load("rsa2048_pkcs8.pem");
  const auto mallory_key = load("mallory_rsa2048.pem");
  constexpr int kSessions = 16;
  constexpr int kBudget = 4096;  // candidates per session; a first-word match needs ~256
  const wire::SasNonce guessed_nonce{};
  int first_word_matches = 0;
  for (int session = 0; session < kSessions; ++session) {
    CAPTURE(session);
    // The other leg's words: anything the attacker has to hit.
    crypto::Sas target{};
    crypto::system_rng().randomize(target.data(), target.size());

    crypto::ServerHandshake server(server_key, "srv", crypto::system_rng());
    wire::Bytes server_hello;
    server.start(server_hello);
    wire::Bytes chosen;
    for (int tries = 0; tries < kBudget && chosen.empty(); ++tries) {
      auto candidate = client_hello_for(mallory_key, server_hello);
      if (crypto::derive_sas(concat(server_hello, candidate), guessed_nonce)[0] == target[0]) {
        chosen = std::move(candidate);
      }
    }
    REQUIRE_MESSAGE(!chosen.empty(), "grinding found no candidate in " << kBudget << " tries");

    // The real server answers the chosen hello and reveals its nonce.
    wire::FrameDecoder in;
    in.feed(chosen);
    const auto f = in.next();
    REQUIRE(f.has_value());
    wire::Bytes answer;
    REQUIRE(server.on_frame(*f, answer) == crypto::HandshakeEvent::peer_identity);
    server.accept(answer);
    const auto server_key_frame = first_frame(answer);
    const auto revealed =
        wire::parse_server_key(wire::ByteView(server_key_frame).subspan(wire::kFrameHeaderSize));
    CHECK(crypto::sas_commitment(revealed.sas_nonce) ==
          wire::parse_server_hello(wire::ByteView(server_hello).subspan(wire::kFrameHeaderSize))
              .sas_commitment);
    const auto words = crypto::derive_sas(concat(server_hello, chosen), revealed.sas_nonce);
    first_word_matches += words[0] == target[0] ? 1 : 0;
    CHECK(words != target);
  }
  // Binomial(16, 1/256): 3 or more matches has a probability of about 3e-5.
  CHECK(first_word_matches <= 2);
}
