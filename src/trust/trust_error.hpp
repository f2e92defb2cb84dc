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
  // The message names local files: the peer is told only that the check could not be made.
  [[nodiscard]] std::string peer_text() const override {
    return "the client could not check the server's key";
  }
};

}  // namespace cryptochat::trust
