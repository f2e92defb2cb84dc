// A network operation failed: a name did not resolve, a port could not be bound, a connection
// was refused, timed out or was lost. Exit status 1.
#pragma once

#include <string>

#include "util/error.hpp"

namespace cryptochat::net {

class NetError : public Error {
 public:
  explicit NetError(const std::string& message) : Error(ExitCode::failure, message) {}
};

}  // namespace cryptochat::net
