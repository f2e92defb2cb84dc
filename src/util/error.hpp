// Typed errors shared by every layer. Each carries the exit code the top level turns it into
// (cli::run in src/cli/app.cpp is the only place that maps failures to process exit statuses) and
// the alert code the peer is told when the error ends a handshake (chat::send_alert in
// src/chat/handshake_driver.cpp sends it).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace cryptochat {

enum class ExitCode : int {
  ok = 0,
  failure = 1,  // network, I/O, protocol, bad key file
  usage = 2,    // bad command line
  auth = 3,     // the peer could not be authenticated
};

// The codes of an ALERT (PROTOCOL.md section 3; wire::AlertCode is this type).
enum class AlertCode : std::uint8_t {
  protocol_error = 1,       // bytes that are not the protocol
  unsupported_version = 2,  // another version or suite
  not_authorized = 3,       // the server refuses the client's key
  handshake_failed = 4,     // everything else
  timeout = 5,
  server_full = 6,
  internal_error = 7,
};

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message, AlertCode alert = AlertCode::handshake_failed)
      : std::runtime_error(message), code_(code), alert_(alert) {}
  Error(const Error&) = default;
  Error& operator=(const Error&) = default;
  Error(Error&&) = default;
  Error& operator=(Error&&) = default;
  ~Error() override = default;

  [[nodiscard]] ExitCode code() const noexcept { return code_; }
  [[nodiscard]] AlertCode alert() const noexcept { return alert_; }
  // What the peer may be told of it: the message, unless it is about a local secret.
  [[nodiscard]] virtual std::string peer_text() const { return what(); }

 private:
  ExitCode code_;
  AlertCode alert_;
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
  explicit KeyError(const std::string& message)
      : Error(ExitCode::failure, message, AlertCode::internal_error) {}
  // A local key that fails to load mid-handshake (it is set up while the hello goes out): the
  // peer learns that, not our file names or what is wrong with the key.
  [[nodiscard]] std::string peer_text() const override {
    return "the peer could not use its own key";
  }
};

// The peer's identity was not the one expected or allowed.
class AuthError : public Error {
 public:
  explicit AuthError(const std::string& message)
      : Error(ExitCode::auth, message, AlertCode::not_authorized) {}
};

// A stop signal (SIGINT, SIGTERM, SIGHUP, ...) interrupted work that had not finished: exit
// status 128 + the signal's number (130, 143, 129), as a shell reports a process the signal
// killed. The peer is told only "interrupted".
class Interrupted : public Error {
 public:
  Interrupted(int signal, const std::string& message)
      : Error(static_cast<ExitCode>(128 + signal), message), signal_(signal) {}
  [[nodiscard]] int signal() const noexcept { return signal_; }
  [[nodiscard]] std::string peer_text() const override { return "interrupted"; }

 private:
  int signal_;
};

// Text for errno `err`, e.g. "No such file or directory".
std::string errno_text(int err);

}  // namespace cryptochat
