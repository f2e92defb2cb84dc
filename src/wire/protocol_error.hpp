// The peer sent bytes that break the protocol. Exit status 1, and on a server only that
// connection is dropped.
#pragma once

#include <string>

#include "util/error.hpp"

namespace cryptochat::wire {

class ProtocolError : public Error {
 public:
  explicit ProtocolError(const std::string& message) : Error(ExitCode::failure, message) {}
};

// The server cannot take this connection now (every handshake slot taken, or busy with a
// session); the peer is told server_full and may try again.
class ServerFull : public ProtocolError {
 public:
  explicit ServerFull(const std::string& message) : ProtocolError(message) {}
};

}  // namespace cryptochat::wire
