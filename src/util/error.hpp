// Typed errors shared by every layer. Each carries the exit code the top level turns it into,
// so `cli/run.cpp` is the only place that maps failures to process exit statuses.
#pragma once

#include <stdexcept>
#include <string>

namespace cryptochat {

enum class ExitCode : int {
  ok = 0,
  failure = 1,  // network, I/O, protocol, bad key file
  usage = 2,    // bad command line
  auth = 3,     // the peer could not be authenticated
};

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  [[nodiscard]] ExitCode code() const noexcept { return code_; }

 private:
  ExitCode code_;
};

// A command line that cannot be acted on.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(ExitCode::usage, message) {}
};

// A file or system call failed.
class IoError : public Error {
 public:
  explicit IoError(const std::string& message) : Error(ExitCode::failure, message) {}
};

// A key file that is unreadable, corrupt, too open, of the wrong kind or wrongly decrypted.
class KeyError : public Error {
 public:
  explicit KeyError(const std::string& message) : Error(ExitCode::failure, message) {}
};

// The peer's identity was not the one expected or allowed.
class AuthError : public Error {
 public:
  explicit AuthError(const std::string& message) : Error(ExitCode::auth, message) {}
};

// Text for errno `err`, e.g. "No such file or directory".
std::string errno_text(int err);

}  // namespace cryptochat
