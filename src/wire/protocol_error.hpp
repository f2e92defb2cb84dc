// The peer sent bytes that break the protocol. Exit status 1, and on a server only that
// connection is dropped.
#pragma once

#include <string>

#include "util/error.hpp"

namespace cryptochat::wire {

class ProtocolError : public Error {
 public:
  explicit ProtocolError(const std::string& message, AlertCode alert = AlertCode::protocol_error)
      : Error(ExitCode::failure, message, alert) {}
};

}  // namespace cryptochat::wire
