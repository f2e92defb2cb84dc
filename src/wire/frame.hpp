// Framing: every message on the wire is a frame
//
//   type (u8) | length (u32, big-endian) | body (length bytes)
//
// One codec for all of them (PROTOCOL.md, "Framing"). The decoder is incremental: feed it the
// bytes as they arrive and take whole frames out, so a non-blocking event loop can drive it.
// A frame's length is checked against the maximum for its type before any byte of the body is
// buffered, so a hostile length never causes a large allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "wire/bytes.hpp"

namespace cryptochat::wire {

enum class FrameType : std::uint8_t {
  server_hello = 0x01,
  client_hello = 0x02,
  server_key = 0x03,
  // 0x04 and 0x05 carried the signatures of protocol version 1; they are not used.
  alert = 0x15,
  record = 0x17,
};

inline constexpr std::size_t kFrameHeaderSize = 5;
inline constexpr std::size_t kMaxHandshakeBody = 16384;
// Largest record plaintext: content type byte + up to 65535 data bytes.
inline constexpr std::size_t kMaxRecordPlaintext = 65536;
inline constexpr std::size_t kMaxRecordData = kMaxRecordPlaintext - 1;
inline constexpr std::size_t kRecordSeqSize = 8;
inline constexpr std::size_t kAeadTagSize = 16;
inline constexpr std::size_t kMaxRecordBody = kRecordSeqSize + kMaxRecordPlaintext + kAeadTagSize;
inline constexpr std::size_t kMaxAlertBody = 1 + 2 + 256;

// The largest body a frame of this type may have; 0 for a type that does not exist.
std::size_t max_body_size(std::uint8_t type);

const char* frame_type_name(FrameType type);

// Appends a whole frame (header and body) to out.
void append_frame(Bytes& out, FrameType type, ByteView body);

// Writes a frame header for a body of body_size bytes at out[0..5).
void write_frame_header(std::uint8_t* out, FrameType type, std::size_t body_size);

// A frame inside the decoder's buffer: valid until the decoder is fed or asked again.
struct FrameView {
  FrameType type;
  ByteView header;  // the 5 header bytes (authenticated as associated data by records)
  ByteView body;
};

class FrameDecoder {
 public:
  // Copies bytes in.
  void feed(ByteView data);
  // Or: read straight into the buffer. prepare() gives at least min_size writable bytes;
  // commit() says how many were written.
  std::span<std::uint8_t> prepare(std::size_t min_size);
  void commit(std::size_t written);

  // The next whole frame, or nullopt when more bytes are needed. Throws ProtocolError on an
  // unknown type or a length over the maximum for the type.
  std::optional<FrameView> next();

  // Bytes received but not yet returned as frames (a partial frame at a connection's end
  // means the stream was cut).
  [[nodiscard]] std::size_t buffered() const { return end_ - start_; }

  // Frees the buffer when it holds nothing: a server with many idle peers keeps no read
  // buffer for each. Only call it when no FrameView from next() is still in use.
  void release_if_empty();

 private:
  void compact();
  Bytes buffer_;
  std::size_t start_ = 0;  // first byte not yet returned
  std::size_t end_ = 0;    // one past the last byte received
};

}  // namespace cryptochat::wire
