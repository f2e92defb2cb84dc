#include "crypto/record.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "crypto/handshake_error.hpp"
#include "wire/protocol_error.hpp"

namespace cryptochat::crypto {

namespace {

std::unique_ptr<Botan::AEAD_Mode> make_aead(const DirectionKeys& keys, Botan::Cipher_Dir dir) {
  auto aead = Botan::AEAD_Mode::create_or_throw("AES-256/GCM", dir);
  aead->set_key(keys.key);
  return aead;
}

// Set once by the command line before any session, read when a sealer or opener is made.
RecordLimits& limits_in_use() {
  static RecordLimits limits;
  return limits;
}

// Moves one direction to its next generation: the AEAD takes the new key (Botan wipes the old
// key schedule), the IV and the secret are replaced (the old secret's buffer is wiped).
void advance(Botan::AEAD_Mode& aead, std::array<std::uint8_t, kIvSize>& iv,
             Botan::secure_vector<std::uint8_t>& next_secret, std::uint64_t& generation) {
  DirectionKeys next = next_generation(next_secret);
  aead.set_key(next.key);
  iv = next.iv;
  next_secret = std::move(next.next_secret);
  ++generation;
}

}  // namespace

RecordLimits RecordLimits::with_send_limit(std::uint64_t send) {
  if (send < 2 || send > kSend) {
    throw std::invalid_argument("a key's record limit must be between 2 and 2^20");
  }
  return RecordLimits{send, send * kReceiveFactor};
}

RecordLimits default_record_limits() {
  return limits_in_use();
}

void set_default_record_limits(RecordLimits limits) {
  limits_in_use() = limits;
}

std::array<std::uint8_t, kIvSize> record_nonce(const std::array<std::uint8_t, kIvSize>& iv,
                                               std::uint64_t seq) {
  auto nonce = iv;
  std::uint8_t seq_bytes[8];
  wire::store_u64(seq_bytes, seq);
  for (std::size_t i = 0; i < 8; ++i) {
    nonce[4 + i] ^= seq_bytes[i];
  }
  return nonce;
}

RecordSealer::RecordSealer(const DirectionKeys& keys, std::uint64_t limit)
    : aead_(make_aead(keys, Botan::ENCRYPTION)),
      iv_(keys.iv),
      next_secret_(keys.next_secret),
      limit_(limit) {
  if (limit_ < 2) {
    throw std::invalid_argument("a key must protect at least 2 records (one is KEY_UPDATE)");
  }
}

void RecordSealer::seal(ContentType type, wire::ByteView data, wire::Bytes& out) {
  if (data.size() > wire::kMaxRecordData) {
    throw std::length_error("record data over the maximum");
  }
  if (under_key_ >= limit_ || (under_key_ + 1 == limit_ && type != ContentType::key_update)) {
    throw std::logic_error("a record key used past its limit: its key update was due");
  }
  // The record is built and encrypted where it ends up, in out: for bulk data this saves a
  // copy of every byte (the tail shorter than the cipher's granularity goes through tail_).
  const std::size_t plain_size = 1 + data.size();
  const std::size_t body_size = wire::kRecordSeqSize + plain_size + wire::kAeadTagSize;
  const std::size_t start = out.size();
  out.resize(start + wire::kFrameHeaderSize + body_size);
  std::uint8_t* header = out.data() + start;
  wire::write_frame_header(header, wire::FrameType::record, body_size);
  wire::store_u64(header + wire::kFrameHeaderSize, seq_);
  std::uint8_t* plain = header + kRecordHeaderSize;
  plain[0] = static_cast<std::uint8_t>(type);
  std::copy(data.begin(), data.end(), plain + 1);

  const auto nonce = record_nonce(iv_, seq_);
  aead_->set_associated_data(header, kRecordHeaderSize);
  aead_->start(nonce.data(), nonce.size());
  const std::size_t bulk = plain_size - plain_size % aead_->update_granularity();
  if (bulk > 0) {
    aead_->process(plain, bulk);
  }
  tail_.assign(plain + bulk, plain + plain_size);
  aead_->finish(tail_);  // the rest, and the tag after it
  std::copy(tail_.begin(), tail_.end(), plain + bulk);
  ++seq_;
  ++under_key_;
}

void RecordSealer::seal_key_update(wire::Bytes& out) {
  seal(ContentType::key_update, {}, out);
  advance(*aead_, iv_, next_secret_, generation_);
  under_key_ = 0;
}

RecordOpener::RecordOpener(const DirectionKeys& keys, std::uint64_t limit)
    : aead_(make_aead(keys, Botan::DECRYPTION)),
      iv_(keys.iv),
      next_secret_(keys.next_secret),
      limit_(limit) {}

void RecordOpener::update_key() {
  advance(*aead_, iv_, next_secret_, generation_);
  under_key_ = 0;
}

bool RecordOpener::try_decrypt(const wire::FrameView& frame, std::uint64_t seq) {
  std::uint8_t ad[kRecordHeaderSize];
  std::copy(frame.header.begin(), frame.header.end(), ad);
  wire::store_u64(ad + wire::kFrameHeaderSize, seq);
  const auto nonce = record_nonce(iv_, seq);
  const auto ciphertext = frame.body.subspan(wire::kRecordSeqSize);
  try {
    aead_->set_associated_data(ad, sizeof ad);
    aead_->start(nonce.data(), nonce.size());
    plain_.assign(ciphertext.begin(), ciphertext.end());
    aead_->finish(plain_);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

OpenedRecord RecordOpener::open(const wire::FrameView& frame) {
  if (frame.body.size() < wire::kRecordSeqSize + 1 + wire::kAeadTagSize) {
    throw IntegrityError(IntegrityError::Kind::tampered,
                         fmt::format("tampering detected: record {} is too short", seq_));
  }
  if (under_key_ >= limit_) {
    // A peer that never updates its key would take AES-GCM past its safe use (section 5).
    throw wire::ProtocolError(
        fmt::format("protocol error: the peer sent more than {} records under one key without a "
                    "key update",
                    limit_));
  }
  const std::uint64_t claimed = wire::load_u64(frame.body.data());
  if (claimed != seq_) {
    // The header's sequence number is authenticated: when the record verifies under it, it
    // is a genuine record out of place; when it does not, it was forged or modified.
    if (try_decrypt(frame, claimed)) {
      if (claimed < seq_) {
        throw IntegrityError(IntegrityError::Kind::replayed,
                             fmt::format("replay detected: record {} arrived again after "
                                         "record {}",
                                         claimed, seq_ - 1));
      }
      throw IntegrityError(
          IntegrityError::Kind::dropped,
          fmt::format("records missing or reordered: expected record {}, got {}", seq_, claimed));
    }
    throw IntegrityError(IntegrityError::Kind::tampered,
                         fmt::format("tampering detected: record {} failed authentication", seq_));
  }
  // Any content type opens: an authentic record of a type the receiver does not allow is a
  // protocol error (chat/channel.cpp), not tampering.
  if (!try_decrypt(frame, seq_) || plain_.empty()) {
    throw IntegrityError(IntegrityError::Kind::tampered,
                         fmt::format("tampering detected: record {} failed authentication", seq_));
  }
  ++seq_;
  ++under_key_;
  return OpenedRecord{static_cast<ContentType>(plain_[0]),
                      wire::ByteView(plain_.data() + 1, plain_.size() - 1)};
}

}  // namespace cryptochat::crypto
