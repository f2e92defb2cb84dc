// Runs a client and a server handshake against each other in memory, frame by frame.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "crypto/handshake.hpp"
#include "wire/frame.hpp"

namespace cryptochat::test {

struct Transfer {
  std::vector<wire::Bytes> frames;  // every frame sent, in order, either direction
  std::vector<bool> from_server;    // from_server[i]: frames[i] was sent by the server

  std::vector<wire::Bytes> server_frames() const { return sent_by(true); }  // in order
  std::vector<wire::Bytes> client_frames() const { return sent_by(false); }

 private:
  std::vector<wire::Bytes> sent_by(bool server) const {
    std::vector<wire::Bytes> out;
    for (std::size_t i = 0; i < frames.size(); ++i) {
      if (from_server[i] == server) {
        out.push_back(frames[i]);
      }
    }
    return out;
  }
};

// Delivers `bytes` to one side: records every frame (sent by the server when from_server) and
// answers peer_identity with accept().
template <typename Handshake>
void deliver(Handshake& side, wire::FrameDecoder& in, wire::Bytes& bytes, wire::Bytes& reply,
             bool from_server, Transfer& t) {
  in.feed(bytes);
  bytes.clear();
  while (auto f = in.next()) {
    wire::Bytes whole(f->header.begin(), f->header.end());
    whole.insert(whole.end(), f->body.begin(), f->body.end());
    t.frames.push_back(whole);
    t.from_server.push_back(from_server);
    if (side.on_frame(*f, reply) == crypto::HandshakeEvent::peer_identity) {
      side.accept(reply);
    }
  }
}

// Moves bytes between the two sides until both are established (at most 10 rounds; the caller
// checks established()). `tamper` may change the bytes in flight (from_server tells the
// direction). Throws whatever either side throws.
inline Transfer run_handshake(
    crypto::ClientHandshake& client, crypto::ServerHandshake& server,
    const std::function<void(wire::Bytes&, bool from_server)>& tamper = {}) {
  Transfer t;
  wire::Bytes to_client;
  wire::Bytes to_server;
  server.start(to_client);
  wire::FrameDecoder client_in;
  wire::FrameDecoder server_in;
  for (int round = 0; round < 10 && !(client.established() && server.established()); ++round) {
    if (tamper && !to_client.empty()) {
      tamper(to_client, true);
    }
    deliver(client, client_in, to_client, to_server, true, t);
    if (tamper && !to_server.empty()) {
      tamper(to_server, false);
    }
    deliver(server, server_in, to_server, to_client, false, t);
  }
  return t;
}

}  // namespace cryptochat::test
