// A network operation failed: a name did not resolve, a port could not be bound, a connection
// was refused, timed out or was lost. Exit status 1.
#pragma once

#include <string>

#include "util/error.hpp"

namespace cryptochat::net {

class NetError : public Error {
 public:
  explicit NetError(const std::string& message, AlertCode alert = AlertCode::handshake_failed)
      : Error(ExitCode::failure, message, alert) {}
};

// The peer did not do its part in time (its own type, so the peer can be told "timeout").
class TimeoutError : public NetError {
 public:
  explicit TimeoutError(const std::string& message) : NetError(message, AlertCode::timeout) {}
};

// The peer reset the connection, or it is closed for writing (ECONNRESET, EPIPE on a write): the
// connection ended, which the protocol may report as truncation (PROTOCOL.md section 6).
class ConnectionReset : public NetError {
 public:
  explicit ConnectionReset(const std::string& message) : NetError(message) {}
};

}  // namespace cryptochat::net
