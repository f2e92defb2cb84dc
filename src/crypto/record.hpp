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
#include "wire/content_type.hpp"
#include "wire/frame.hpp"

namespace cryptochat::crypto {

// The record layer seals any content type; their meanings are wire's and chat's.
using ContentType = wire::ContentType;

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
