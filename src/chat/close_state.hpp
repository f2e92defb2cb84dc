// Where one session stands in the close handshake of PROTOCOL.md section 6 (END or QUIT, then
// END_ACK, each way), and the checks on what the peer may send at each point. The one-to-one
// session and every member of a room keep one.
#pragma once

#include "wire/protocol_error.hpp"

namespace cryptochat::chat {

class CloseState {
 public:
  // DATA (or a RELAY) from the peer: never after its END or QUIT.
  void check_peer_may_send() const {
    if (peer_closed_) {
      throw wire::ProtocolError("protocol error: the peer sent data after its end");
    }
  }
  // The peer's END or QUIT: once.
  void peer_ended() {
    if (peer_closed_) {
      throw wire::ProtocolError("protocol error: the peer ended its data twice");
    }
    peer_closed_ = true;
  }
  // The peer's END_ACK: once, and only after this side's END or QUIT.
  void peer_confirmed() {
    if (!local_closed_ || ack_received_) {
      throw wire::ProtocolError("protocol error: unexpected end confirmation");
    }
    ack_received_ = true;
  }
  void local_ended() { local_closed_ = true; }
  void confirmed_peer() { ack_sent_ = true; }

  [[nodiscard]] bool local_closed() const { return local_closed_; }
  [[nodiscard]] bool peer_closed() const { return peer_closed_; }
  // Both sides ended and each confirmed the other's end (the last records may still be queued).
  [[nodiscard]] bool complete() const {
    return local_closed_ && peer_closed_ && ack_sent_ && ack_received_;
  }

 private:
  bool local_closed_ = false;
  bool peer_closed_ = false;
  bool ack_sent_ = false;
  bool ack_received_ = false;
};

}  // namespace cryptochat::chat
