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

}  // namespace cryptochat::wire
