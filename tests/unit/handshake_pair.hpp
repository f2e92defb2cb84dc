// Runs a client and a server handshake against each other in memory, frame by frame.
#pragma once

#include <functional>
#include <vector>

#include "crypto/handshake.hpp"
#include "wire/frame.hpp"

namespace cryptochat::test {

struct Transfer {
  std::vector<wire::Bytes> frames;  // every frame sent, in order, either direction
};

// Moves bytes between the two sides until both are established. `tamper` may change the bytes
// in flight (from_server tells the direction). Throws whatever either side throws.
// Delivers `bytes` to one side: records every frame and answers peer_identity with accept().
template <typename Handshake>
void deliver(Handshake& side, wire::FrameDecoder& in, wire::Bytes& bytes, wire::Bytes& reply,
             Transfer& t) {
  in.feed(bytes);
  bytes.clear();
  while (auto f = in.next()) {
    wire::Bytes whole(f->header.begin(), f->header.end());
    whole.insert(whole.end(), f->body.begin(), f->body.end());
    t.frames.push_back(whole);
    if (side.on_frame(*f, reply) == crypto::HandshakeEvent::peer_identity) {
      side.accept(reply);
    }
  }
}

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
    deliver(client, client_in, to_client, to_server, t);
    if (tamper && !to_server.empty()) {
      tamper(to_server, false);
    }
    deliver(server, server_in, to_server, to_client, t);
  }
  return t;
}

}  // namespace cryptochat::test
