// The record layer with a fixed key and IV. Input: [mode][rest].
//   mode even: rest is a byte stream of frames; every record frame goes to a RecordOpener
//     (nearly all fail authentication, which exercises the length and sequence checks; the
//     seeds hold genuine records under the fixed key, so some open).
//   mode odd: rest is a list of operations [ctrl][length u16][position u16] sealing
//     `length` bytes (made from the input) with a RecordSealer and opening the frame with the
//     matching RecordOpener after a round trip through a FrameDecoder. The data and type must
//     come back unchanged; with ctrl & 0x80 one bit of the sealed frame is flipped first and
//     the record must then be refused.
#include <algorithm>

#include "crypto/handshake_error.hpp"
#include "crypto/record.hpp"
#include "fuzz_common.hpp"
#include "wire/frame.hpp"
#include "wire/protocol_error.hpp"

using namespace cryptochat;

namespace {

const crypto::DirectionKeys& keys() {
  static const crypto::DirectionKeys k = fuzz::record_keys();
  return k;
}

void open_stream(wire::ByteView stream) {
  crypto::RecordOpener opener(keys());
  wire::FrameDecoder decoder;
  decoder.feed(stream);
  try {
    while (const auto frame = decoder.next()) {
      if (frame->type != wire::FrameType::record) {
        continue;
      }
      const std::uint64_t before = opener.next_sequence();
      try {
        const auto record = opener.open(*frame);
        fuzz::check(opener.next_sequence() == before + 1, "an opened record did not count");
        fuzz::check(record.data.size() <= wire::kMaxRecordData, "record data over the maximum");
        // Any content type opens: which ones a session allows is chat::Channel's to decide.
      } catch (const crypto::IntegrityError&) {
        fuzz::check(opener.next_sequence() == before, "a refused record moved the sequence");
      }
    }
  } catch (const wire::ProtocolError&) {
    // a bad frame ends the stream
  }
}

void round_trips(fuzz::Reader& in) {
  crypto::RecordSealer sealer(keys());
  crypto::RecordOpener opener(keys());
  const wire::ByteView pattern = in.rest();  // data bytes are drawn from the whole input
  fuzz::Reader ops(pattern.data(), pattern.size());
  // After a tampered record the opener is one behind the sealer: start both afresh.
  const auto resync = [&] {
    sealer = crypto::RecordSealer(keys());
    opener = crypto::RecordOpener(keys());
  };
  for (int round = 0; round < 8 && ops.remaining() >= 5; ++round) {
    const std::uint8_t ctrl = ops.u8();
    const std::size_t length = ops.u16() % (wire::kMaxRecordData + 1);
    const std::uint16_t position = ops.u16();
    const auto type = static_cast<crypto::ContentType>((ctrl & 0x7FU) % 6);
    wire::Bytes data(length);
    for (std::size_t i = 0; i < length; ++i) {
      data[i] = pattern[(i * 7 + round) % pattern.size()];
    }

    wire::Bytes frame;
    sealer.seal(type, data, frame);
    fuzz::check(frame.size() == crypto::kRecordHeaderSize + 1 + length + wire::kAeadTagSize,
                "sealed record of the wrong size");
    const bool tamper = (ctrl & 0x80U) != 0;
    if (tamper) {
      const std::size_t bit = position % (frame.size() * 8);
      frame[bit / 8] = static_cast<std::uint8_t>(frame[bit / 8] ^ (1U << (bit % 8)));
    }

    wire::FrameDecoder decoder;
    decoder.feed(frame);
    std::optional<wire::FrameView> view;
    try {
      view = decoder.next();
    } catch (const wire::ProtocolError&) {
      fuzz::check(tamper, "a genuine sealed record is not a valid frame");
      resync();
      continue;
    }
    if (!view) {
      fuzz::check(tamper, "a genuine sealed record did not decode as a whole frame");
      resync();
      continue;
    }
    fuzz::check(decoder.buffered() == 0 || tamper, "bytes left after a sealed record");
    const std::uint64_t before = opener.next_sequence();
    try {
      const auto record = opener.open(*view);
      fuzz::check(!tamper, "FORGERY: a record with a flipped bit was accepted");
      fuzz::check(record.type == type, "the content type changed");
      fuzz::check(std::equal(record.data.begin(), record.data.end(), data.begin(), data.end()),
                  "the data changed");
    } catch (const crypto::IntegrityError&) {
      fuzz::check(tamper, "a genuine record was refused");
      fuzz::check(opener.next_sequence() == before, "a refused record moved the sequence");
      resync();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Reader in(data, size);
  const std::uint8_t mode = in.u8();
  if ((mode & 1U) == 0) {
    open_stream(in.rest());
  } else {
    round_trips(in);
  }
  return 0;
}
