// Everything after the handshake, as one engine that never touches a socket (in the spirit of
// crypto::ServerHandshake and Botan's TLS::Channel): frames go in, what they mean comes out as
// calls on a ChannelEvents, and commands (send data, relay, end, quit, abort) append sealed
// records to the caller's outbox. It owns the record types' meanings, the close protocol of
// PROTOCOL.md section 6 and the checks on what a peer may send when; this file's .cpp is the
// one place a record type is handled. The one-to-one session, every member of a room and the
// load generator each keep one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/handshake.hpp"
#include "wire/bytes.hpp"
#include "wire/frame.hpp"
#include "wire/protocol_error.hpp"
#include "wire/room_messages.hpp"

namespace cryptochat::chat {

// The peer's ABORT: the session ended in error on its side (its reason, made printable, is in
// the message). Nothing is sent back.
class PeerAborted : public wire::ProtocolError {
 public:
  explicit PeerAborted(const std::string& message) : wire::ProtocolError(message) {}
};

// What the peer is told in an ABORT when error `e` ends a session after the handshake
// (PROTOCOL.md section 3): a short generic text, never a local secret, path or key. Empty when
// nothing is sent: the error is the peer's own ABORT, or the connection is gone (truncation, a
// lost connection).
std::string abort_text(const std::exception& e);

// What a channel's owner does with what arrives. Each call comes while the frame that caused
// it is being taken; views are valid only during the call.
class ChannelEvents {
 public:
  ChannelEvents() = default;
  ChannelEvents(const ChannelEvents&) = delete;
  ChannelEvents& operator=(const ChannelEvents&) = delete;
  ChannelEvents(ChannelEvents&&) = delete;
  ChannelEvents& operator=(ChannelEvents&&) = delete;
  virtual ~ChannelEvents() = default;

  // DATA: the peer's own bytes (never empty).
  virtual void on_data(wire::ByteView data) = 0;
  // RELAY (only from a server): another participant's bytes.
  virtual void on_relay(const wire::Participant& sender, wire::ByteView data) = 0;
  // ROOM_EVENT (only from a server) of a kind this version knows.
  virtual void on_room_event(const wire::RoomEvent& event) = 0;
  // The peer's END (quit false) or QUIT: everything it sent came before. Write it all out now:
  // END_ACK is sealed when this returns, so a throw (the output failed) withholds it.
  virtual void on_peer_end(bool quit) = 0;
};

// DATA and RELAY records sent and received, and their payload bytes (for --verbose); key
// updates sent and received.
struct ChannelCounts {
  std::uint64_t records_sent = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t records_received = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t key_updates_sent = 0;
  std::uint64_t key_updates_received = 0;
};

// One participant's data cut into RELAY contents once, for a room to seal for each recipient.
class RelayBatch {
 public:
  RelayBatch(const wire::Participant& sender, wire::ByteView data);
  [[nodiscard]] const std::vector<wire::Bytes>& contents() const { return contents_; }
  [[nodiscard]] std::size_t data_size() const { return data_size_; }

 private:
  std::vector<wire::Bytes> contents_;
  std::size_t data_size_ = 0;
};

class Channel {
 public:
  enum class Role {
    client,  // the peer is a server: it may relay others' data and say who comes and goes
    server,  // the peer is a client: RELAY and ROOM_EVENT from it are protocol errors
  };
  struct Settings {
    Role role = Role::client;
    // The peer's END ends this side too (a chat typed at a terminal, a room's participant);
    // its QUIT always does.
    bool ends_with_peer = false;
  };

  Channel(crypto::Established established, Settings settings);

  // Takes the next complete frame in `in`; false when there is none. Replies (END_ACK, END)
  // go to `out`. Throws ProtocolError on a frame the protocol does not allow here (an ALERT or
  // handshake frame, a record type out of place, a second END, more records under one key than
  // the limit), IntegrityError on a record that is not the peer's next authentic one, and
  // PeerAborted with its reason on the peer's ABORT. KEY_UPDATE is taken here, unseen by the
  // owner; so are the ones this side sends before a record when its key is due.
  bool receive_one(wire::FrameDecoder& in, wire::Bytes& out, ChannelEvents& events);
  // Takes every complete frame in `in`.
  void receive(wire::FrameDecoder& in, wire::Bytes& out, ChannelEvents& events);
  // The connection reached its end: fine once the close is complete, otherwise a truncation
  // (IntegrityError, PROTOCOL.md section 6 rule 4) naming `peer`.
  void connection_ended(std::string_view peer) const;

  // DATA, cut into records of at most wire::kMaxRecordData bytes. After end() or quit() the
  // three sends throw std::logic_error (a bug of the caller's); after abort() they send nothing.
  void send_data(wire::ByteView data, wire::Bytes& out);
  void send_relay(const RelayBatch& batch, wire::Bytes& out);
  void send_room_event(const wire::RoomEvent& event, wire::Bytes& out);
  // END: this side sends no more data. Once; later calls (and after quit()) do nothing.
  void end(wire::Bytes& out);
  // QUIT: the user ends the chat for both sides. Once, as end().
  void quit(wire::Bytes& out);
  // ABORT with a reason: the session ends in error; nothing is sent after it.
  void abort(std::string_view reason, wire::Bytes& out);

  [[nodiscard]] bool local_closed() const { return local_closed_; }
  [[nodiscard]] bool peer_closed() const { return peer_closed_; }
  // The peer confirmed this side's END or QUIT (END_ACK).
  [[nodiscard]] bool end_confirmed() const { return ack_received_; }
  // Both sides ended and each confirmed the other's end (the last records may still be queued).
  [[nodiscard]] bool complete() const {
    return local_closed_ && peer_closed_ && ack_sent_ && ack_received_;
  }
  [[nodiscard]] bool aborted() const { return aborted_; }
  [[nodiscard]] const ChannelCounts& counts() const { return counts_; }
  [[nodiscard]] const crypto::PublicKey& peer_key() const { return est_.peer_key; }
  [[nodiscard]] const std::string& peer_name() const { return est_.peer_name; }
  // The short authentication string of this session (crypto/sas.hpp).
  [[nodiscard]] const crypto::Sas& sas() const { return est_.sas; }
  // The peer as a room names it: its key hash and its name as sent (perhaps empty).
  [[nodiscard]] wire::Participant peer() const;

 private:
  void handle(const crypto::OpenedRecord& record, wire::Bytes& out, ChannelEvents& events);
  // Seals one record, after a KEY_UPDATE when the key is due for one.
  void seal(crypto::ContentType type, wire::ByteView content, wire::Bytes& out);
  void close_local(crypto::ContentType how, wire::Bytes& out);
  void check_peer_may_send() const;
  static void check_empty(const crypto::OpenedRecord& record);
  [[nodiscard]] bool may_send() const;

  crypto::Established est_;
  Settings settings_;
  bool local_closed_ = false;  // END or QUIT sent
  bool peer_closed_ = false;   // END or QUIT received
  bool ack_sent_ = false;
  bool ack_received_ = false;
  bool aborted_ = false;
  ChannelCounts counts_;
};

}  // namespace cryptochat::chat
