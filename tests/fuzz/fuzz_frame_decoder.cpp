// wire::FrameDecoder against a reference decoder. Input: [mode][seed] then the byte stream.
// The stream is fed in chunks whose sizes come from mode and seed (mode 0: all at once), half
// of them through feed() and half through prepare()/commit(); after each chunk every whole
// frame is taken out. Every frame must be exactly the next bytes of the stream, next() must
// give one whenever one is there, and ProtocolError must come exactly when the reference says
// the stream is bad.
#include <cstring>

#include "fuzz_common.hpp"
#include "wire/frame.hpp"
#include "wire/protocol_error.hpp"

using namespace cryptochat;

namespace {

class Chunker {
 public:
  Chunker(std::uint8_t mode, std::uint8_t seed)
      : mode_(mode), state_(0x9E3779B9U ^ (static_cast<std::uint32_t>(mode) << 8U) ^ seed) {}
  std::size_t next(std::size_t left) {
    if (mode_ == 0) {
      return left;
    }
    state_ ^= state_ << 13U;
    state_ ^= state_ >> 17U;
    state_ ^= state_ << 5U;
    // mode's low 4 bits bound the chunk size: 1..2^(bits+1) bytes.
    const std::size_t limit = std::size_t{2} << (mode_ & 0x0FU);
    return std::min<std::size_t>(left, 1 + state_ % limit);
  }
  bool use_prepare() { return ((state_ >> 7U) & 1U) != 0; }
  // How much more than needed prepare() is asked for (exercises the spare room).
  std::size_t slack() const { return (mode_ & 0x10U) != 0 ? (state_ >> 9U) % 100 : 0; }

 private:
  std::uint8_t mode_;
  std::uint32_t state_;
};

// What the decoder must do after `fed` bytes of stream have arrived and frames up to `offset`
// were taken: 0 = need more, 1 = a frame, 2 = ProtocolError.
int expected(wire::ByteView stream, std::size_t offset, std::size_t fed, std::size_t* length) {
  const std::size_t available = fed - offset;
  if (available == 0) {
    return 0;
  }
  const std::size_t max = wire::max_body_size(stream[offset]);
  if (max == 0) {
    return 2;
  }
  if (available < wire::kFrameHeaderSize) {
    return 0;
  }
  *length = wire::load_u32(stream.data() + offset + 1);
  if (*length > max) {
    return 2;
  }
  return available >= wire::kFrameHeaderSize + *length ? 1 : 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Reader in(data, size);
  Chunker chunker(in.u8(), in.u8());
  const wire::ByteView stream = in.rest();

  wire::FrameDecoder decoder;
  std::size_t fed = 0;
  std::size_t offset = 0;  // stream bytes returned as frames so far
  while (fed < stream.size()) {
    const std::size_t n = chunker.next(stream.size() - fed);
    const auto chunk = stream.subspan(fed, n);
    if (chunker.use_prepare()) {
      const auto area = decoder.prepare(n + chunker.slack());
      fuzz::check(area.size() >= n + chunker.slack(), "prepare() gave less room than asked");
      std::memcpy(area.data(), chunk.data(), n);
      decoder.commit(n);
    } else {
      decoder.feed(chunk);
    }
    fed += n;
    fuzz::check(decoder.buffered() == fed - offset, "buffered() is not the bytes not yet taken");

    while (true) {
      std::size_t length = 0;
      const int want = expected(stream, offset, fed, &length);
      std::optional<wire::FrameView> frame;
      try {
        frame = decoder.next();
      } catch (const wire::ProtocolError&) {
        fuzz::check(want == 2, "ProtocolError on a stream the reference accepts");
        return 0;  // a connection is dropped here
      }
      if (!frame) {
        fuzz::check(want == 0, "next() gave nothing while a whole frame (or an error) was there");
        break;
      }
      fuzz::check(want == 1, "next() gave a frame the reference does not see");
      fuzz::check(frame->header.size() == wire::kFrameHeaderSize, "header is not 5 bytes");
      fuzz::check(frame->body.size() == length, "body size is not the header's length");
      fuzz::check(static_cast<std::uint8_t>(frame->type) == stream[offset], "wrong frame type");
      fuzz::check(
          std::memcmp(frame->header.data(), stream.data() + offset, wire::kFrameHeaderSize) == 0,
          "header bytes differ from the stream");
      fuzz::check(
          length == 0 || std::memcmp(frame->body.data(),
                                     stream.data() + offset + wire::kFrameHeaderSize, length) == 0,
          "body bytes differ from the stream");
      fuzz::check(length <= wire::max_body_size(stream[offset]), "body over the type's maximum");
      offset += wire::kFrameHeaderSize + length;
      fuzz::check(decoder.buffered() == fed - offset, "buffered() wrong after next()");
    }
  }
  return 0;
}
