// Signals as events: SIGINT, SIGTERM and SIGHUP write a byte to a pipe that the event loop
// polls, so the program ends in order (an ABORT or QUIT sent, output flushed) instead of dying
// mid-write. The first one asks the program to stop; a second one to stop at once.
#pragma once

#include <string_view>

#include "util/error.hpp"
#include "util/unique_fd.hpp"

namespace cryptochat {

// SIGPIPE would kill the process on a write to a closed socket or pipe; the write's EPIPE
// error is handled instead.
void ignore_sigpipe() noexcept;

class StopSignals {
 public:
  StopSignals();  // installs the handlers (SIGINT, SIGTERM, SIGHUP); one instance per process
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  StopSignals(StopSignals&&) = delete;
  StopSignals& operator=(StopSignals&&) = delete;
  ~StopSignals();  // puts back the handlers that were there before

  // Readable once a stop signal arrived, until drain() empties it.
  [[nodiscard]] int fd() const { return read_end_.get(); }
  [[nodiscard]] static bool stop_requested() noexcept;
  // How many stop signals arrived so far; the first one's number (0 while none did).
  [[nodiscard]] static int count() noexcept;
  [[nodiscard]] static int first_signal() noexcept;
  // Empties the pipe `fd` (fd()), so a watch on it fires again only for the next signal.
  static void drain(int fd) noexcept;

 private:
  UniqueFd read_end_;
  UniqueFd write_end_;
};

// SIGHUP as a request to reload (a room server's --authorized-keys) instead of a stop signal:
// made after StopSignals, it takes SIGHUP over, and gives it back to StopSignals when it goes.
class HangupSignal {
 public:
  HangupSignal();
  HangupSignal(const HangupSignal&) = delete;
  HangupSignal& operator=(const HangupSignal&) = delete;
  HangupSignal(HangupSignal&&) = delete;
  HangupSignal& operator=(HangupSignal&&) = delete;
  ~HangupSignal();

  // Readable once a SIGHUP arrived, until StopSignals::drain(fd()) empties it.
  [[nodiscard]] int fd() const { return read_end_.get(); }

 private:
  UniqueFd read_end_;
  UniqueFd write_end_;
};

// "SIGINT", "SIGTERM", "SIGHUP", ...
const char* signal_name(int sig) noexcept;

// The error for work the first stop signal interrupted: "interrupted by SIGTERM" followed by
// `during` (" while connecting", say), exit status 128 + the signal.
Interrupted interrupted(std::string_view during = {});

}  // namespace cryptochat
