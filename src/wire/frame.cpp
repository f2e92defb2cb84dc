#include "wire/frame.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "wire/protocol_error.hpp"

namespace cryptochat::wire {

namespace {

// Shows the first bytes of something that is not a frame, so a user who pointed cryptochat at
// a web or ssh server sees what answered ("HTTP/1.1 400", "SSH-2.0-OpenSSH").
std::string printable_prefix(ByteView data) {
  std::string out;
  for (const std::uint8_t c : data.first(std::min<std::size_t>(data.size(), 16))) {
    out += (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '.';
  }
  return out;
}

}  // namespace

std::size_t max_body_size(std::uint8_t type) {
  switch (static_cast<FrameType>(type)) {
    case FrameType::server_hello:
    case FrameType::client_hello:
    case FrameType::server_key:
      return kMaxHandshakeBody;
    case FrameType::alert:
      return kMaxAlertBody;
    case FrameType::record:
      return kMaxRecordBody;
  }
  return 0;
}

const char* frame_type_name(FrameType type) {
  switch (type) {
    case FrameType::server_hello:
      return "server hello";
    case FrameType::client_hello:
      return "client hello";
    case FrameType::server_key:
      return "server key";
    case FrameType::alert:
      return "alert";
    case FrameType::record:
      return "record";
  }
  return "unknown frame";
}

void write_frame_header(std::uint8_t* out, FrameType type, std::size_t body_size) {
  out[0] = static_cast<std::uint8_t>(type);
  store_u32(out + 1, static_cast<std::uint32_t>(body_size));
}

void append_frame(Bytes& out, FrameType type, ByteView body) {
  std::uint8_t header[kFrameHeaderSize];
  write_frame_header(header, type, body.size());
  out.insert(out.end(), header, header + kFrameHeaderSize);
  out.insert(out.end(), body.begin(), body.end());
}

void FrameDecoder::compact() {
  if (start_ == 0) {
    return;
  }
  std::memmove(buffer_.data(), buffer_.data() + start_, end_ - start_);
  end_ -= start_;
  start_ = 0;
}

std::span<std::uint8_t> FrameDecoder::prepare(std::size_t min_size) {
  if (buffer_.size() - end_ < min_size) {
    compact();
    if (buffer_.size() - end_ < min_size) {
      buffer_.resize(end_ + min_size);
    }
  }
  return {buffer_.data() + end_, buffer_.size() - end_};
}

void FrameDecoder::commit(std::size_t written) {
  end_ += std::min(written, buffer_.size() - end_);
}

void FrameDecoder::release_if_empty() {
  if (start_ == end_) {
    Bytes().swap(buffer_);
    start_ = end_ = 0;
  }
}

void FrameDecoder::feed(ByteView data) {
  auto area = prepare(data.size());
  std::copy(data.begin(), data.end(), area.begin());
  commit(data.size());
}

std::optional<FrameView> FrameDecoder::next() {
  const std::size_t available = end_ - start_;
  if (available == 0) {
    start_ = end_ = 0;
    return std::nullopt;
  }
  const std::uint8_t* p = buffer_.data() + start_;
  const std::uint8_t type = p[0];
  const std::size_t max = max_body_size(type);
  if (max == 0) {
    throw ProtocolError(fmt::format("not a cryptochat peer (it sent \"{}\")",
                                    printable_prefix(ByteView(p, available))));
  }
  if (available < kFrameHeaderSize) {
    return std::nullopt;
  }
  const std::size_t length = load_u32(p + 1);
  if (length > max) {
    throw ProtocolError(fmt::format("{} frame of {} bytes is over the limit of {}",
                                    frame_type_name(static_cast<FrameType>(type)), length, max));
  }
  if (available < kFrameHeaderSize + length) {
    return std::nullopt;
  }
  FrameView frame{static_cast<FrameType>(type), ByteView(p, kFrameHeaderSize),
                  ByteView(p + kFrameHeaderSize, length)};
  start_ += kFrameHeaderSize + length;
  return frame;
}

}  // namespace cryptochat::wire
