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
    client_in.feed(to_client);
    to_client.clear();
    while (auto f = client_in.next()) {
      wire::Bytes whole(f->header.begin(), f->header.end());
      whole.insert(whole.end(), f->body.begin(), f->body.end());
      t.frames.push_back(whole);
      if (client.on_frame(*f, to_server) == crypto::HandshakeEvent::peer_identity) {
        client.accept(to_server);
      }
    }
    if (tamper && !to_server.empty()) {
      tamper(to_server, false);
    }
    server_in.feed(to_server);
    to_server.clear();
    while (auto f = server_in.next()) {
      wire::Bytes whole(f->header.begin(), f->header.end());
      whole.insert(whole.end(), f->body.begin(), f->body.end());
      t.frames.push_back(whole);
      if (server.on_frame(*f, to_client) == crypto::HandshakeEvent::peer_identity) {
        server.accept(to_client);
      }
    }
  }
  return t;
}

}  // namespace cryptochat::test
