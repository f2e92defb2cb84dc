#include "chat/channel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <new>
#include <stdexcept>

#include "crypto/fingerprint.hpp"
#include "crypto/handshake_error.hpp"
#include "net/net_error.hpp"
#include "util/error.hpp"
#include "util/text.hpp"
#include "wire/handshake_messages.hpp"
#include "wire/protocol_error.hpp"

namespace cryptochat::chat {

using crypto::ContentType;

std::string abort_text(const std::exception& e) {
  if (dynamic_cast<const PeerAborted*>(&e) != nullptr) {
    return {};
  }
  if (dynamic_cast<const Interrupted*>(&e) != nullptr) {
    return "interrupted";
  }
  if (const auto* integrity = dynamic_cast<const crypto::IntegrityError*>(&e)) {
    if (integrity->kind() == crypto::IntegrityError::Kind::truncated) {
      return {};
    }
    return "a record failed authentication (tampering, replay or loss)";
  }
  if (dynamic_cast<const wire::ProtocolError*>(&e) != nullptr) {
    return "protocol error";
  }
  if (dynamic_cast<const net::TimeoutError*>(&e) != nullptr) {
    return "timed out";
  }
  if (dynamic_cast<const net::NetError*>(&e) != nullptr) {
    return {};  // the connection failed: nothing more gets through
  }
  if (dynamic_cast<const IoError*>(&e) != nullptr) {
    return "a local input or output failed";
  }
  if (dynamic_cast<const std::bad_alloc*>(&e) != nullptr) {
    return "out of memory";
  }
  return "internal error";
}

RelayBatch::RelayBatch(const wire::Participant& sender, wire::ByteView data)
    : data_size_(data.size()) {
  const std::size_t max_chunk = wire::kMaxRecordData - wire::relay_header_size(sender);
  while (!data.empty()) {
    const auto chunk = data.first(std::min(data.size(), max_chunk));
    wire::Bytes& content = contents_.emplace_back();
    content.reserve(wire::relay_header_size(sender) + chunk.size());
    wire::encode_relay_header(sender, content);
    content.insert(content.end(), chunk.begin(), chunk.end());
    data = data.subspan(chunk.size());
  }
}

Channel::Channel(crypto::Established established, Settings settings)
    : est_(std::move(established)), settings_(settings) {}

wire::Participant Channel::peer() const {
  return {crypto::spki_hash(est_.peer_key.spki_der()), est_.peer_name};
}

bool Channel::receive_one(wire::FrameDecoder& in, wire::Bytes& out, ChannelEvents& events) {
  const auto frame = in.next();
  if (!frame) {
    return false;
  }
  if (frame->type == wire::FrameType::alert) {
    // A server whose handshake timeout passed before our FINISHED came says so this way
    // (PROTOCOL.md section 3): its text tells the user why.
    const wire::Alert alert = wire::parse_alert(frame->body);
    throw wire::ProtocolError(
        fmt::format("the peer sent an alert after the handshake: {}", printable(alert.text)));
  }
  if (frame->type != wire::FrameType::record) {
    throw wire::ProtocolError("protocol error: a handshake frame after the handshake");
  }
  handle(est_.opener.open(*frame), out, events);
  return true;
}

void Channel::receive(wire::FrameDecoder& in, wire::Bytes& out, ChannelEvents& events) {
  while (receive_one(in, out, events)) {
  }
}

void Channel::check_peer_may_send() const {
  if (peer_closed_) {
    throw wire::ProtocolError("protocol error: the peer sent data after its end");
  }
}

// END, END_ACK and QUIT carry nothing (PROTOCOL.md section 5): content there is not this
// protocol, and is refused rather than guessed at.
void Channel::check_empty(const crypto::OpenedRecord& record) {
  if (!record.data.empty()) {
    throw wire::ProtocolError(
        fmt::format("protocol error: an end record with {} bytes of content", record.data.size()));
  }
}

void Channel::handle(const crypto::OpenedRecord& record, wire::Bytes& out, ChannelEvents& events) {
  const bool from_server = settings_.role == Role::client;
  switch (record.type) {
    case ContentType::data:
      check_peer_may_send();
      if (record.data.empty()) {
        return;  // nothing to deliver (section 5 allows it; the room never relays it)
      }
      ++counts_.records_received;
      counts_.bytes_received += record.data.size();
      events.on_data(record.data);
      return;
    case ContentType::end:
    case ContentType::quit: {
      check_empty(record);
      if (peer_closed_) {
        throw wire::ProtocolError("protocol error: the peer ended its data twice");
      }
      peer_closed_ = true;
      const bool quit = record.type == ContentType::quit;
      events.on_peer_end(quit);
      if (aborted_) {
        return;  // this side ended in error: nothing more is sent, no confirmation
      }
      // Everything before this record was handed over (and written out) above: confirm it.
      seal(ContentType::end_ack, {}, out);
      ack_sent_ = true;
      if (quit || settings_.ends_with_peer) {
        end(out);
      }
      return;
    }
    case ContentType::end_ack:
      check_empty(record);
      if (!local_closed_ || ack_received_) {
        throw wire::ProtocolError("protocol error: unexpected end confirmation");
      }
      ack_received_ = true;
      return;
    case ContentType::abort:
      throw PeerAborted(
          fmt::format("the peer aborted the session: {}", printable(wire::text_of(record.data))));
    case ContentType::relay: {
      if (!from_server) {
        break;
      }
      check_peer_may_send();
      const auto relay = wire::parse_relay(record.data);
      ++counts_.records_received;
      counts_.bytes_received += relay.data.size();
      events.on_relay(relay.sender, relay.data);
      return;
    }
    case ContentType::room_event: {
      if (!from_server) {
        break;
      }
      const auto event = wire::parse_room_event(record.data);
      if (wire::known_kind(event.kind)) {
        events.on_room_event(event);
      }
      return;  // a kind from a later version of the protocol is ignored (section 9)
    }
    case ContentType::key_update:
      // Allowed at any time after FINISHED, also after the peer's END (section 5).
      if (!record.data.empty()) {
        throw wire::ProtocolError("protocol error: a key update with content");
      }
      est_.opener.update_key();
      ++counts_.key_updates_received;
      return;
    case ContentType::finished:
      break;
  }
  throw wire::ProtocolError(from_server
                                ? "protocol error: unexpected record type after the handshake"
                                : "protocol error: unexpected record type from a client");
}

void Channel::seal(ContentType type, wire::ByteView content, wire::Bytes& out) {
  // Every record goes out here, so no key seals more than its limit (PROTOCOL.md section 5,
  // "Key updates"): when the next record would be the key's last, KEY_UPDATE is that record.
  if (est_.sealer.key_update_due()) {
    est_.sealer.seal_key_update(out);
    ++counts_.key_updates_sent;
  }
  est_.sealer.seal(type, content, out);
}

void Channel::connection_ended(std::string_view peer) const {
  if (complete()) {
    return;
  }
  if (!peer_closed_) {
    throw crypto::IntegrityError(
        crypto::IntegrityError::Kind::truncated,
        fmt::format("truncated: the connection to {} was cut before its end record; what was "
                    "received may be incomplete",
                    peer));
  }
  throw crypto::IntegrityError(
      crypto::IntegrityError::Kind::truncated,
      fmt::format("truncated: the connection to {} was cut before it confirmed receiving "
                  "everything",
                  peer));
}

void Channel::send_data(wire::ByteView data, wire::Bytes& out) {
  if (!may_send()) {
    return;
  }
  while (!data.empty()) {
    const auto n = std::min(data.size(), wire::kMaxRecordData);
    ++counts_.records_sent;
    counts_.bytes_sent += n;
    seal(ContentType::data, data.first(n), out);
    data = data.subspan(n);
  }
}

void Channel::send_relay(const RelayBatch& batch, wire::Bytes& out) {
  if (!may_send()) {
    return;
  }
  for (const auto& content : batch.contents()) {
    seal(ContentType::relay, content, out);
  }
  counts_.records_sent += batch.contents().size();
  counts_.bytes_sent += batch.data_size();
}

void Channel::send_room_event(const wire::RoomEvent& event, wire::Bytes& out) {
  if (!may_send()) {
    return;
  }
  seal(ContentType::room_event, wire::encode(event), out);
}

bool Channel::may_send() const {
  if (local_closed_ && !aborted_) {
    // The owner stops its input before this side ends: data after END is a bug here, and
    // sending it would only make the peer fail the session.
    throw std::logic_error("data sent after this side's end");
  }
  return !aborted_;  // after an ABORT the session is over: nothing more goes out
}

void Channel::close_local(ContentType how, wire::Bytes& out) {
  if (local_closed_ || aborted_) {
    return;
  }
  seal(how, {}, out);
  local_closed_ = true;
}

void Channel::end(wire::Bytes& out) {
  close_local(ContentType::end, out);
}

void Channel::quit(wire::Bytes& out) {
  close_local(ContentType::quit, out);
}

void Channel::abort(std::string_view reason, wire::Bytes& out) {
  if (aborted_) {
    return;
  }
  seal(ContentType::abort, wire::bytes_of(reason), out);
  aborted_ = true;
}

}  // namespace cryptochat::chat
