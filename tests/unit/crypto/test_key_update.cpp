// Key updates in the record layer (PROTOCOL.md section 4, "Key generations", and section 5, "Key
// updates"): the next generation's derivation, the sender's limit (its KEY_UPDATE comes in time,
// and it cannot seal past it), the receiver's hard limit, and what happens to records that do not
// follow.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "crypto/handshake_error.hpp"
#include "crypto/key_schedule.hpp"
#include "crypto/record.hpp"
#include "test_support.hpp"
#include "wire/protocol_error.hpp"

using namespace cryptochat;
using crypto::ContentType;

namespace {

crypto::DirectionKeys keys() {
  crypto::DirectionKeys k;
  k.key.assign(32, 0x42);
  k.iv.fill(0x24);
  k.next_secret.assign(32, 0x17);
  return k;
}

// Opens one whole frame; the record's view stays valid until the opener's next open().
crypto::OpenedRecord open(crypto::RecordOpener& o, const wire::Bytes& frame_bytes) {
  wire::FrameDecoder dec;
  dec.feed(frame_bytes);
  const auto frame = dec.next();
  REQUIRE(frame.has_value());
  return o.open(*frame);
}

// Seals as chat::Channel does: a KEY_UPDATE first when the key is due for one.
void seal_next(crypto::RecordSealer& s, const std::string& text, wire::Bytes& out) {
  if (s.key_update_due()) {
    s.seal_key_update(out);
  }
  s.seal(ContentType::data, wire::bytes_of(text), out);
}

// Opens every frame as chat::Channel does (KEY_UPDATE moves the opener on); returns the DATA.
std::vector<std::string> open_all(crypto::RecordOpener& o, const wire::Bytes& bytes) {
  std::vector<std::string> texts;
  for (const auto& f : test::split_frames(bytes)) {
    const auto record = open(o, f);
    if (record.type == ContentType::key_update) {
      CHECK(record.data.empty());
      o.update_key();
    } else {
      texts.emplace_back(record.data.begin(), record.data.end());
    }
  }
  return texts;
}

std::string hex(std::span<const std::uint8_t> b) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (const auto byte : b) {
    s += digits[byte >> 4U];
    s += digits[byte & 0x0FU];
  }
  return s;
}

}  // namespace

TEST_CASE("key update: each generation's key, IV and secret differ and come from the secret") {
  const auto k0 = keys();
  const auto k1 = crypto::next_generation(k0.next_secret);
  const auto k1_again = crypto::next_generation(k0.next_secret);
  const auto k2 = crypto::next_generation(k1.next_secret);
  CHECK(k1.key.size() == crypto::kKeySize);
  CHECK(k1.next_secret.size() == crypto::kSecretSize);
  CHECK(hex(k1.key) == hex(k1_again.key));
  CHECK(hex(k1.iv) == hex(k1_again.iv));
  CHECK(hex(k1.next_secret) == hex(k1_again.next_secret));
  const std::vector<std::string> all{hex(k0.key),         hex(k0.next_secret), hex(k1.key),
                                     hex(k1.next_secret), hex(k2.key),         hex(k2.next_secret)};
  for (std::size_t i = 0; i < all.size(); ++i) {
    for (std::size_t j = i + 1; j < all.size(); ++j) {
      CHECK(all[i] != all[j]);
    }
  }
  CHECK(hex(k1.iv) != hex(k0.iv));
  CHECK(hex(k2.iv) != hex(k1.iv));
  CHECK_THROWS_AS(static_cast<void>(crypto::next_generation(std::vector<std::uint8_t>(31, 1))),
                  std::logic_error);
}

TEST_CASE("key update: the protocol's limits, and lower ones for tests") {
  const crypto::RecordLimits protocol;
  CHECK(protocol.send == 1048576);     // 2^20
  CHECK(protocol.receive == 4194304);  // 2^22
  CHECK(crypto::default_record_limits().send == protocol.send);
  CHECK(crypto::default_record_limits().receive == protocol.receive);
  const auto low = crypto::RecordLimits::with_send_limit(2);
  CHECK(low.send == 2);
  CHECK(low.receive == 8);
  CHECK(crypto::RecordLimits::with_send_limit(1048576).receive == 4194304);
  CHECK_THROWS_AS(static_cast<void>(crypto::RecordLimits::with_send_limit(1)),
                  std::invalid_argument);
  CHECK_THROWS_AS(static_cast<void>(crypto::RecordLimits::with_send_limit(1048577)),
                  std::invalid_argument);
  CHECK_THROWS_AS(crypto::RecordSealer(keys(), 1), std::invalid_argument);
}

TEST_CASE("key update: the sender's KEY_UPDATE is the last record of each key") {
  crypto::RecordSealer s(keys(), 3);
  wire::Bytes out;
  std::vector<bool> due;
  for (int i = 0; i < 7; ++i) {
    due.push_back(s.key_update_due());
    seal_next(s, "r" + std::to_string(i), out);
  }
  // Records 0 and 1 under generation 0, KEY_UPDATE as its third; then two records and a
  // KEY_UPDATE per generation. Sequence numbers keep counting across updates.
  CHECK(due == std::vector<bool>{false, false, true, false, true, false, true});
  CHECK(s.next_sequence() == 10);
  CHECK(s.generation() == 3);
  crypto::RecordOpener o(keys(), 3);
  CHECK(open_all(o, out) == std::vector<std::string>{"r0", "r1", "r2", "r3", "r4", "r5", "r6"});
  CHECK(o.next_sequence() == 10);
  CHECK(o.generation() == 3);

  SUBCASE("sealing anything else when the update is due is a bug of the caller's") {
    crypto::RecordSealer t(keys(), 2);
    wire::Bytes sink;
    t.seal(ContentType::finished, {}, sink);
    REQUIRE(t.key_update_due());
    CHECK_THROWS_AS(t.seal(ContentType::data, {}, sink), std::logic_error);
    CHECK(t.next_sequence() == 1);
    t.seal_key_update(sink);
    CHECK_FALSE(t.key_update_due());
    CHECK(t.generation() == 1);
  }
}

TEST_CASE("key update: records of the new key are only readable after the update") {
  crypto::RecordSealer s(keys());
  wire::Bytes out;
  s.seal(ContentType::data, wire::bytes_of("before"), out);
  s.seal_key_update(out);
  s.seal(ContentType::data, wire::bytes_of("after"), out);
  const auto frames = test::split_frames(out);
  REQUIRE(frames.size() == 3);

  SUBCASE("an opener that ignores the KEY_UPDATE sees tampering") {
    crypto::RecordOpener o(keys());
    open(o, frames[0]);
    CHECK(open(o, frames[1]).type == ContentType::key_update);
    CHECK_THROWS_AS(open(o, frames[2]), crypto::IntegrityError);
  }
  SUBCASE("a dropped KEY_UPDATE: the next record does not open under the old key") {
    crypto::RecordOpener o(keys());
    open(o, frames[0]);
    CHECK_THROWS_WITH_AS(open(o, frames[2]), "tampering detected: record 1 failed authentication",
                         crypto::IntegrityError);
  }
  SUBCASE("a record of the old key replayed after the update") {
    crypto::RecordOpener o(keys());
    open(o, frames[0]);
    open(o, frames[1]);
    o.update_key();
    CHECK_THROWS_WITH_AS(open(o, frames[0]), "tampering detected: record 2 failed authentication",
                         crypto::IntegrityError);
    CHECK(o.next_sequence() == 2);
    const auto record = open(o, frames[2]);  // the genuine next one still opens
    CHECK(std::string(record.data.begin(), record.data.end()) == "after");
  }
  SUBCASE("an opener holding no secret cannot update (test keys only)") {
    auto no_secret = keys();
    no_secret.next_secret.clear();
    crypto::RecordOpener o(no_secret);
    CHECK_THROWS_AS(o.update_key(), std::logic_error);
  }
}

TEST_CASE("key update: a receiver refuses more records under one key than its limit") {
  crypto::RecordSealer never_updates(keys());  // the protocol's limit: 2^20
  crypto::RecordOpener o(keys(), 5);
  wire::Bytes out;
  for (int i = 0; i < 6; ++i) {
    never_updates.seal(ContentType::data, wire::bytes_of("x"), out);
  }
  const auto frames = test::split_frames(out);
  for (int i = 0; i < 5; ++i) {
    open(o, frames.at(i));
  }
  CHECK_THROWS_WITH_AS(open(o, frames.at(5)),
                       "protocol error: the peer sent more than 5 records under one key without "
                       "a key update",
                       wire::ProtocolError);
  CHECK(o.next_sequence() == 5);  // refused before it was decrypted

  SUBCASE("a peer that updates at its limit is never refused") {
    crypto::RecordSealer s(keys(), 5);
    crypto::RecordOpener limited(keys(), 5);
    wire::Bytes many;
    std::vector<std::string> sent;
    for (int i = 0; i < 50; ++i) {
      sent.push_back(std::to_string(i));
      seal_next(s, sent.back(), many);
    }
    CHECK(open_all(limited, many) == sent);
    CHECK(limited.generation() == 12);  // 4 records and a KEY_UPDATE per key, after the first
  }
}
