// The record layer (PROTOCOL.md, "Records"): AES-256-GCM with the direction's IV XORed with
// the record's sequence number as nonce, and the record's 13-byte header (frame header and
// sequence number) as associated data. Any modified, replayed, reordered or dropped record
// fails, and is reported as what it is.
#pragma once

#include <botan/aead.h>

#include <cstdint>
#include <memory>

#include "crypto/key_schedule.hpp"
#include "wire/bytes.hpp"
#include "wire/frame.hpp"

namespace cryptochat::crypto {

enum class ContentType : std::uint8_t {
  data = 0x00,
  finished = 0x01,
  end = 0x02,         // no more data from this side (a half close)
  end_ack = 0x03,     // everything up to the peer's end was written out
  quit = 0x04,        // the user ended the chat: both sides finish
  abort = 0x05,       // a fault: a short text follows
  relay = 0x06,       // room server to client: another participant's data (wire/room_messages)
  room_event = 0x07,  // room server to client: someone joined or left
};

inline constexpr std::size_t kRecordHeaderSize = wire::kFrameHeaderSize + wire::kRecordSeqSize;

class RecordSealer {
 public:
  explicit RecordSealer(const DirectionKeys& keys);
  // Appends one record frame carrying type and data (at most wire::kMaxRecordData bytes, not
  // inside out).
  void seal(ContentType type, wire::ByteView data, wire::Bytes& out);
  [[nodiscard]] std::uint64_t next_sequence() const { return seq_; }

 private:
  std::unique_ptr<Botan::AEAD_Mode> aead_;
  std::array<std::uint8_t, kIvSize> iv_;
  std::uint64_t seq_ = 0;
  Botan::secure_vector<std::uint8_t> tail_;
};

struct OpenedRecord {
  ContentType type;
  wire::ByteView data;  // valid until the next open()
};

class RecordOpener {
 public:
  explicit RecordOpener(const DirectionKeys& keys);
  // Verifies and decrypts one record frame; throws IntegrityError.
  OpenedRecord open(const wire::FrameView& frame);
  [[nodiscard]] std::uint64_t next_sequence() const { return seq_; }

 private:
  bool try_decrypt(const wire::FrameView& frame, std::uint64_t seq);
  std::unique_ptr<Botan::AEAD_Mode> aead_;
  std::array<std::uint8_t, kIvSize> iv_;
  std::uint64_t seq_ = 0;
  Botan::secure_vector<std::uint8_t> plain_;
};

// nonce = iv XOR (4 zero bytes || seq as u64 big-endian)
std::array<std::uint8_t, kIvSize> record_nonce(const std::array<std::uint8_t, kIvSize>& iv,
                                               std::uint64_t seq);

}  // namespace cryptochat::crypto
