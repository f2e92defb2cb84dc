// Drives one side of the handshake with the frames of a fuzz input, as the I/O layer does:
// frames in order, accept() on peer_identity, and once established the remaining record
// frames go to the session's opener. Only cryptochat::Error may stop it.
#pragma once

#include "crypto/handshake.hpp"
#include "fuzz_common.hpp"
#include "util/error.hpp"
#include "wire/frame.hpp"

namespace cryptochat::fuzz {

// FUZZ_TRACE=1 prints how far each input got (to check that the seeds reach the end).
inline bool trace() {
  static const bool on = std::getenv("FUZZ_TRACE") != nullptr;
  return on;
}

template <typename Handshake>
void drive_handshake(Handshake& hs, wire::ByteView input, wire::Bytes& out) {
  wire::FrameDecoder decoder;
  decoder.feed(input);
  std::optional<crypto::Established> session;
  try {
    while (const auto frame = decoder.next()) {
      if (session) {
        if (frame->type != wire::FrameType::record) {
          return;  // the session layer drops the connection on anything else
        }
        const auto record = session->opener.open(*frame);
        if (trace()) {
          std::fprintf(stderr, "fuzz: opened a record of %zu bytes\n", record.data.size());
        }
        check(record.data.size() <= wire::kMaxRecordData, "record data over the maximum");
        // Answer it, as a chat would.
        session->sealer.seal(crypto::ContentType::data, record.data, out);
        continue;
      }
      const auto event = hs.on_frame(*frame, out);
      if (event == crypto::HandshakeEvent::peer_identity) {
        check(hs.peer_key().has_value(), "peer_identity without a peer key");
        hs.accept(out);
      } else if (event == crypto::HandshakeEvent::established) {
        check(hs.established(), "established event but not established");
        session.emplace(hs.take_established());
        if (trace()) {
          std::fprintf(stderr, "fuzz: established with '%s'\n", session->peer_name.c_str());
        }
        check(session->transcript_hash.size() == crypto::kHashSize, "bad transcript hash size");
        check(session->peer_name.size() <= wire::kMaxNameSize, "peer name over the maximum");
      }
    }
  } catch (const Error& e) {
    if (trace()) {
      std::fprintf(stderr, "fuzz: refused: %s\n", e.what());
    }
    // refused (ProtocolError, HandshakeError, IntegrityError, AuthError, ...): the connection
    // is dropped here
  }
}

}  // namespace cryptochat::fuzz
