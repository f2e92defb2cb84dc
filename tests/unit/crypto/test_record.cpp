#include <doctest/doctest.h>

#include "crypto/handshake_error.hpp"
#include "crypto/record.hpp"
#include "wire/protocol_error.hpp"

using namespace cryptochat;

namespace {

crypto::DirectionKeys keys() {
  crypto::DirectionKeys k;
  k.key.assign(32, 0x42);
  k.iv.fill(0x24);
  return k;
}

wire::Bytes seal(crypto::RecordSealer& s, const std::string& text) {
  wire::Bytes out;
  s.seal(crypto::ContentType::data,
         wire::ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), out);
  return out;
}

crypto::IntegrityError::Kind open_kind(crypto::RecordOpener& o, const wire::Bytes& frame_bytes) {
  wire::FrameDecoder dec;
  dec.feed(frame_bytes);
  const auto frame = dec.next();
  REQUIRE(frame.has_value());
  try {
    o.open(*frame);
  } catch (const crypto::IntegrityError& e) {
    return e.kind();
  }
  FAIL("the record was accepted");
  return crypto::IntegrityError::Kind::truncated;
}

std::string open_text(crypto::RecordOpener& o, const wire::Bytes& frame_bytes) {
  wire::FrameDecoder dec;
  dec.feed(frame_bytes);
  const auto frame = dec.next();
  REQUIRE(frame.has_value());
  const auto rec = o.open(*frame);
  return {rec.data.begin(), rec.data.end()};
}

}  // namespace

TEST_CASE("records round-trip in order, empty and full size") {
  crypto::RecordSealer s(keys());
  crypto::RecordOpener o(keys());
  CHECK(open_text(o, seal(s, "one")) == "one");
  CHECK(open_text(o, seal(s, "")).empty());
  const std::string big(wire::kMaxRecordData, 'x');
  CHECK(open_text(o, seal(s, big)) == big);
  CHECK_THROWS(seal(s, big + "y"));
  CHECK(o.next_sequence() == 3);
}

TEST_CASE("modified, replayed and dropped records are told apart") {
  crypto::RecordSealer s(keys());
  const auto r0 = seal(s, "zero");
  const auto r1 = seal(s, "one");
  const auto r2 = seal(s, "two");

  SUBCASE("a flipped ciphertext bit is tampering") {
    crypto::RecordOpener o(keys());
    auto bad = r0;
    REQUIRE(bad.size() > crypto::kRecordHeaderSize);
    bad.at(bad.size() - 1) ^= 1;  // the last tag byte
    CHECK(open_kind(o, bad) == crypto::IntegrityError::Kind::tampered);
  }
  SUBCASE("a flipped header bit is tampering") {
    crypto::RecordOpener o(keys());
    auto bad = r0;
    bad[12] ^= 1;  // the last byte of the sequence number
    CHECK(open_kind(o, bad) == crypto::IntegrityError::Kind::tampered);
  }
  SUBCASE("a record sent twice is a replay") {
    crypto::RecordOpener o(keys());
    CHECK(open_text(o, r0) == "zero");
    CHECK(open_kind(o, r0) == crypto::IntegrityError::Kind::replayed);
  }
  SUBCASE("a missing record is a drop, a swapped pair a reorder") {
    crypto::RecordOpener o(keys());
    CHECK(open_text(o, r0) == "zero");
    CHECK(open_kind(o, r2) == crypto::IntegrityError::Kind::dropped);
  }
  SUBCASE("the other direction's keys do not open a record") {
    auto other = keys();
    other.iv[0] ^= 1;
    crypto::RecordOpener o(other);
    CHECK(open_kind(o, r0) == crypto::IntegrityError::Kind::tampered);
  }
  static_cast<void>(r1);
}

TEST_CASE("nonce is the IV XOR the big-endian sequence number in its last 8 bytes") {
  std::array<std::uint8_t, 12> iv{};
  iv.fill(0xFF);
  const auto n = crypto::record_nonce(iv, 0x0102030405060708ULL);
  const std::array<std::uint8_t, 12> expected{0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xFD,
                                              0xFC, 0xFB, 0xFA, 0xF9, 0xF8, 0xF7};
  CHECK(n == expected);
}
