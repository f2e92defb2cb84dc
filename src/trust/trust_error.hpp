// The error of the trust layer: a known_hosts or authorized keys file that cannot be used as it
// is. A key that does not match is an AuthError instead (exit 3): that is about the peer, this
// is about a local file.
#pragma once

#include <string>

#include "util/error.hpp"

namespace cryptochat::trust {

class TrustError : public cryptochat::Error {
 public:
  explicit TrustError(const std::string& message) : Error(ExitCode::failure, message) {}
};

}  // namespace cryptochat::trust
