// chat::Channel, the protocol after the handshake, fed by a peer that holds the session keys
// (an authenticated but hostile peer: the one the record layer cannot stop). Input:
// [role][ends][ops...], each op [ctrl][length u16] then `length` content bytes:
//   ctrl % 4 == 0..2: the peer seals one record of content type ctrl >> 2 (any byte value,
//     known types and unknown ones) with that content, and the channel takes it; an empty
//     KEY_UPDATE is a real one (the peer moves to its next key), one with content is not;
//   ctrl % 4 == 3: the channel's own side acts: send data, end, quit or abort (ctrl >> 2 % 4).
// role even: the channel is a client's (the peer is a server: RELAY and ROOM_EVENT allowed);
// odd: a server's. ends odd: the peer's END ends the channel's side too. (ends >> 1) % 4, the
// key limits: 0 the protocol's; 1 and 3 both sides update their keys after 2 and 5 records (a
// KEY_UPDATE before a record when due, as chat::Channel does); 2 the channel updates after 3
// and refuses more than 12 records per key, and the peer never updates by itself.
// Oracles: only cryptochat::Error stops it; events stop after the peer's end (no data, relay
// or second end after END/QUIT); DATA and RELAY data come through unchanged; complete() only
// after both ends and both confirmations; nothing is sent after an ABORT; a peer that keeps to
// the limits is never refused for them.
#include <string_view>

#include "chat/channel.hpp"
#include "crypto/handshake_error.hpp"
#include "crypto/record.hpp"
#include "fuzz_common.hpp"
#include "wire/frame.hpp"

using namespace cryptochat;

namespace {

class Recorder final : public chat::ChannelEvents {
 public:
  void on_data(wire::ByteView data) override {
    fuzz::check(!peer_ended, "DATA after the peer's end");
    fuzz::check(!data.empty(), "empty DATA delivered");
    last = wire::Bytes(data.begin(), data.end());
  }
  void on_relay(const wire::Participant& sender, wire::ByteView data) override {
    fuzz::check(!peer_ended, "RELAY after the peer's end");
    fuzz::check(sender.name.size() <= wire::kMaxNameSize, "relay sender name too long");
    last = wire::Bytes(data.begin(), data.end());
  }
  void on_room_event(const wire::RoomEvent& event) override {
    fuzz::check(wire::known_kind(event.kind), "a room event of an unknown kind delivered");
  }
  void on_peer_end(bool /*quit*/) override {
    fuzz::check(!peer_ended, "the peer's end delivered twice");
    peer_ended = true;
  }
  bool peer_ended = false;
  wire::Bytes last;
};

crypto::Established established(const crypto::DirectionKeys& send,
                                const crypto::DirectionKeys& receive,
                                const crypto::RecordLimits& limits) {
  return crypto::Established{crypto::RecordSealer(send, limits.send),
                             crypto::RecordOpener(receive, limits.receive),
                             fuzz::client_identity().public_key(),
                             "fuzz-peer",
                             {}};
}

crypto::DirectionKeys other_keys() {
  crypto::DirectionKeys keys = fuzz::record_keys();
  keys.key[0] ^= 0xFFU;
  keys.iv[0] ^= 0xFFU;
  return keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Reader in(data, size);
  const auto role = (in.u8() % 2 == 0) ? chat::Channel::Role::client : chat::Channel::Role::server;
  const std::uint8_t ends = in.u8();
  const bool ends_with_peer = ends % 2 == 1;
  const unsigned limits_mode = (ends >> 1U) % 4;
  const crypto::RecordLimits protocol;
  crypto::RecordLimits limits = protocol;
  std::uint64_t peer_limit = protocol.send;
  if (limits_mode != 0) {
    limits = crypto::RecordLimits::with_send_limit(limits_mode == 1 ? 2 : limits_mode == 2 ? 3 : 5);
    peer_limit = limits_mode == 2 ? protocol.send : limits.send;
  }
  // This side sends under record_keys() and reads under other_keys(); the peer the reverse.
  chat::Channel channel(established(fuzz::record_keys(), other_keys(), limits),
                        {role, ends_with_peer});
  crypto::RecordSealer peer(other_keys(), peer_limit);
  crypto::RecordOpener peer_reads(fuzz::record_keys());
  Recorder events;
  wire::Bytes to_channel;
  wire::Bytes from_channel;
  wire::FrameDecoder decoder;
  try {
    for (int op = 0; op < 64 && in.remaining() >= 3; ++op) {
      const std::uint8_t ctrl = in.u8();
      const std::size_t length = std::min<std::size_t>(in.u16(), wire::kMaxRecordData);
      const wire::ByteView content = in.take(length);
      if (ctrl % 4 == 3) {
        const std::size_t before = from_channel.size();
        const bool aborted = channel.aborted();
        switch ((ctrl >> 2U) % 4) {
          case 0:
            if (!channel.local_closed()) {
              channel.send_data(content, from_channel);
            }
            break;
          case 1:
            channel.end(from_channel);
            break;
          case 2:
            channel.quit(from_channel);
            break;
          default:
            channel.abort(fuzz::as_text(content.data(), content.size()), from_channel);
            break;
        }
        fuzz::check(!aborted || from_channel.size() == before, "sent after an ABORT");
        continue;
      }
      const auto type = static_cast<crypto::ContentType>(ctrl >> 2U);
      const bool was_closed = channel.peer_closed();
      if (type == crypto::ContentType::key_update && content.empty()) {
        peer.seal_key_update(to_channel);
      } else {
        if (peer.key_update_due()) {
          peer.seal_key_update(to_channel);
        }
        peer.seal(type, content, to_channel);
      }
      decoder.feed(to_channel);
      to_channel.clear();
      events.last.clear();
      const bool aborted = channel.aborted();
      const std::size_t sent_before = from_channel.size();
      channel.receive(decoder, from_channel, events);
      fuzz::check(!aborted || from_channel.size() == sent_before, "answered after an ABORT");
      if (type == crypto::ContentType::data && !content.empty()) {
        fuzz::check(events.last == wire::Bytes(content.begin(), content.end()),
                    "DATA changed on the way");
      }
      fuzz::check(!was_closed || type != crypto::ContentType::data, "DATA after the end accepted");
      fuzz::check(!channel.complete() ||
                      (channel.local_closed() && channel.peer_closed() && !channel.aborted()),
                  "complete() before both ends");
      // What the channel sent opens under the peer's keys, in order.
      wire::FrameDecoder replies;
      replies.feed(from_channel);
      from_channel.clear();
      while (const auto frame = replies.next()) {
        try {
          if (peer_reads.open(*frame).type == crypto::ContentType::key_update) {
            peer_reads.update_key();
          }
        } catch (const Error&) {
          fuzz::fail("the channel sent a record its peer cannot open");
        }
      }
    }
    channel.connection_ended("fuzz peer");
    fuzz::check(channel.complete(), "connection_ended accepted an incomplete close");
  } catch (const Error& e) {
    // a protocol error, a truncation or the peer's ABORT: the expected ends; but a peer that
    // updates its keys in time is never refused for using one too long
    // (the refusal's own message; a peer's ABORT text says "the peer aborted" first)
    const std::string_view refused = "protocol error: the peer sent more than ";
    fuzz::check(limits_mode == 2 || std::string_view(e.what()).substr(0, refused.size()) != refused,
                "a peer within the key limits was refused");
  }
  return 0;
}
