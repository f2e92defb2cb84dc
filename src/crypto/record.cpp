#include "crypto/record.hpp"

#include <fmt/format.h>

#include "crypto/handshake_error.hpp"

namespace cryptochat::crypto {

namespace {

std::unique_ptr<Botan::AEAD_Mode> make_aead(const DirectionKeys& keys, Botan::Cipher_Dir dir) {
  auto aead = Botan::AEAD_Mode::create_or_throw("AES-256/GCM", dir);
  aead->set_key(keys.key);
  return aead;
}

}  // namespace

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

RecordSealer::RecordSealer(const DirectionKeys& keys)
    : aead_(make_aead(keys, Botan::ENCRYPTION)), iv_(keys.iv) {}

void RecordSealer::seal(ContentType type, wire::ByteView data, wire::Bytes& out) {
  if (data.size() > wire::kMaxRecordData) {
    throw std::length_error("record data over the maximum");
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
}

RecordOpener::RecordOpener(const DirectionKeys& keys)
    : aead_(make_aead(keys, Botan::DECRYPTION)), iv_(keys.iv) {}

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
  return OpenedRecord{static_cast<ContentType>(plain_[0]),
                      wire::ByteView(plain_.data() + 1, plain_.size() - 1)};
}

}  // namespace cryptochat::crypto
