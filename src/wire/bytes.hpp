// Big-endian integer and length-prefixed field encoding, the only byte order on the wire.
// ByteReader never reads past its span: a short input is a ProtocolError, not a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace cryptochat::wire {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// The bytes of a text, as the wire sees them.
inline ByteView bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// The same bytes seen as text (not checked: pass it through printable() before showing it).
inline std::string_view text_of(ByteView bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

class ByteWriter {
 public:
  explicit ByteWriter(Bytes& out) : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v);
  void u32(std::uint32_t v);
  void u64(std::uint64_t v);
  void raw(ByteView data) { out_.insert(out_.end(), data.begin(), data.end()); }
  void raw(std::string_view text);
  // A field of at most 65535 bytes preceded by its u16 length.
  void field16(ByteView data);

 private:
  Bytes& out_;
};

class ByteReader {
 public:
  // what names the message in error messages ("server hello").
  ByteReader(ByteView data, const char* what) : data_(data), what_(what) {}
  std::uint8_t u8();
  std::uint16_t u16();
  std::uint32_t u32();
  std::uint64_t u64();
  ByteView raw(std::size_t n);
  // A u16-length-prefixed field, refused when longer than max_len.
  ByteView field16(std::size_t max_len, const char* field);
  // Throws unless every byte was consumed: trailing bytes are a protocol error.
  void expect_end() const;
  [[nodiscard]] std::size_t remaining() const { return data_.size() - pos_; }

 private:
  ByteView take(std::size_t n);
  ByteView data_;
  std::size_t pos_ = 0;
  const char* what_;
};

void store_u32(std::uint8_t* out, std::uint32_t v);
void store_u64(std::uint8_t* out, std::uint64_t v);
std::uint32_t load_u32(const std::uint8_t* in);
std::uint64_t load_u64(const std::uint8_t* in);

}  // namespace cryptochat::wire
