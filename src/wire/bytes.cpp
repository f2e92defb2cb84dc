#include "wire/bytes.hpp"

#include <fmt/format.h>

#include "wire/protocol_error.hpp"

namespace cryptochat::wire {

void store_u32(std::uint8_t* out, std::uint32_t v) {
  for (int i = 3; i >= 0; --i) {
    out[i] = static_cast<std::uint8_t>(v & 0xFFU);
    v >>= 8U;
  }
}

void store_u64(std::uint8_t* out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<std::uint8_t>(v & 0xFFU);
    v >>= 8U;
  }
}

std::uint32_t load_u32(const std::uint8_t* in) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    v = (v << 8U) | in[i];
  }
  return v;
}

std::uint64_t load_u64(const std::uint8_t* in) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v = (v << 8U) | in[i];
  }
  return v;
}

void ByteWriter::u16(std::uint16_t v) {
  out_.push_back(static_cast<std::uint8_t>(v >> 8U));
  out_.push_back(static_cast<std::uint8_t>(v & 0xFFU));
}

void ByteWriter::u32(std::uint32_t v) {
  std::uint8_t b[4];
  store_u32(b, v);
  raw(ByteView(b, 4));
}

void ByteWriter::u64(std::uint64_t v) {
  std::uint8_t b[8];
  store_u64(b, v);
  raw(ByteView(b, 8));
}

void ByteWriter::raw(std::string_view text) {
  out_.insert(out_.end(), text.begin(), text.end());
}

void ByteWriter::field16(ByteView data) {
  u16(static_cast<std::uint16_t>(data.size()));
  raw(data);
}

ByteView ByteReader::take(std::size_t n) {
  if (n > remaining()) {
    throw ProtocolError(fmt::format("malformed {}: too short", what_));
  }
  const auto out = data_.subspan(pos_, n);
  pos_ += n;
  return out;
}

std::uint8_t ByteReader::u8() {
  return take(1)[0];
}

std::uint16_t ByteReader::u16() {
  const auto b = take(2);
  return static_cast<std::uint16_t>((b[0] << 8U) | b[1]);
}

std::uint32_t ByteReader::u32() {
  return load_u32(take(4).data());
}

std::uint64_t ByteReader::u64() {
  return load_u64(take(8).data());
}

ByteView ByteReader::raw(std::size_t n) {
  return take(n);
}

ByteView ByteReader::field16(std::size_t max_len, const char* field) {
  const std::size_t len = u16();
  if (len > max_len) {
    throw ProtocolError(
        fmt::format("malformed {}: {} is {} bytes, more than {}", what_, field, len, max_len));
  }
  return take(len);
}

void ByteReader::expect_end() const {
  if (remaining() != 0) {
    throw ProtocolError(
        fmt::format("malformed {}: {} unexpected trailing bytes", what_, remaining()));
  }
}

}  // namespace cryptochat::wire
