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

}  // namespace cryptochat::net
