// The record layer (PROTOCOL.md, "Records"): AES-256-GCM with the direction's IV XORed with
// the record's sequence number as nonce, and the record's 13-byte header (frame header and
// sequence number) as associated data. Any modified, replayed, reordered or dropped record
// fails, and is reported as what it is. Each key protects a bounded number of records
// (PROTOCOL.md section 5, "Key updates"): the sealer says when its KEY_UPDATE is due, the opener
// refuses a peer that goes past the limit.
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

// How many records one key protects (PROTOCOL.md section 5, "Key updates"); every record
// counts, FINISHED and KEY_UPDATE included.
struct RecordLimits {
  // The protocol's values: a sender seals at most 2^20 records under one key, the last of
  // them KEY_UPDATE; a receiver opens at most 2^22 (4 times as many) under one key.
  static constexpr std::uint64_t kSend = std::uint64_t{1} << 20;
  static constexpr std::uint64_t kReceiveFactor = 4;

  std::uint64_t send = kSend;
  std::uint64_t receive = kSend * kReceiveFactor;

  // A lower sending limit (2 to kSend) and the receiving limit that goes with it: for tests.
  static RecordLimits with_send_limit(std::uint64_t send);
};

// The limits that new sealers and openers take: the protocol's, unless the command line lowered
// them for a test (CRYPTOCHAT_REKEY_RECORDS, cli/app.cpp) before any session started.
[[nodiscard]] RecordLimits default_record_limits();
void set_default_record_limits(RecordLimits limits);

class RecordSealer {
 public:
  explicit RecordSealer(const DirectionKeys& keys,
                        std::uint64_t limit = default_record_limits().send);
  // Appends one record frame carrying type and data (at most wire::kMaxRecordData bytes, not
  // inside out). Throws std::logic_error when the key is used up (key_update_due() ignored).
  void seal(ContentType type, wire::ByteView data, wire::Bytes& out);
  // The next record would be the last this key may seal: it must be KEY_UPDATE.
  [[nodiscard]] bool key_update_due() const { return under_key_ + 1 >= limit_; }
  // Appends KEY_UPDATE under this key, then moves to the next generation (the old key wiped).
  void seal_key_update(wire::Bytes& out);
  [[nodiscard]] std::uint64_t next_sequence() const { return seq_; }
  [[nodiscard]] std::uint64_t generation() const { return generation_; }

 private:
  std::unique_ptr<Botan::AEAD_Mode> aead_;
  std::array<std::uint8_t, kIvSize> iv_;
  Botan::secure_vector<std::uint8_t> next_secret_;
  std::uint64_t seq_ = 0;
  std::uint64_t under_key_ = 0;  // records sealed under the current key
  std::uint64_t limit_;
  std::uint64_t generation_ = 0;
  Botan::secure_vector<std::uint8_t> tail_;
};

struct OpenedRecord {
  ContentType type;
  wire::ByteView data;  // valid until the next open()
};

class RecordOpener {
 public:
  explicit RecordOpener(const DirectionKeys& keys,
                        std::uint64_t limit = default_record_limits().receive);
  // Verifies and decrypts one record frame; throws IntegrityError, and wire::ProtocolError
  // (before decrypting) when `limit` records were already opened under the current key.
  OpenedRecord open(const wire::FrameView& frame);
  // After an authentic KEY_UPDATE: the next records are under the next generation.
  void update_key();
  [[nodiscard]] std::uint64_t next_sequence() const { return seq_; }
  [[nodiscard]] std::uint64_t generation() const { return generation_; }

 private:
  bool try_decrypt(const wire::FrameView& frame, std::uint64_t seq);
  std::unique_ptr<Botan::AEAD_Mode> aead_;
  std::array<std::uint8_t, kIvSize> iv_;
  Botan::secure_vector<std::uint8_t> next_secret_;
  std::uint64_t seq_ = 0;
  std::uint64_t under_key_ = 0;  // records opened under the current key
  std::uint64_t limit_;
  std::uint64_t generation_ = 0;
  Botan::secure_vector<std::uint8_t> plain_;
};

// nonce = iv XOR (4 zero bytes || seq as u64 big-endian)
std::array<std::uint8_t, kIvSize> record_nonce(const std::array<std::uint8_t, kIvSize>& iv,
                                               std::uint64_t seq);

}  // namespace cryptochat::crypto
