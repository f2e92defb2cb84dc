// Signals as events: SIGINT and SIGTERM write a byte to a pipe that the event loop polls, so
// the program ends in order (close records sent, output flushed) instead of dying mid-write.
#pragma once

#include "util/unique_fd.hpp"

namespace cryptochat {

// SIGPIPE would kill the process on a write to a closed socket or pipe; the write's EPIPE
// error is handled instead.
void ignore_sigpipe() noexcept;

class StopSignals {
 public:
  StopSignals();  // installs the handlers; one instance per process
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  StopSignals(StopSignals&&) = delete;
  StopSignals& operator=(StopSignals&&) = delete;
  ~StopSignals();

  // Readable once a stop signal arrived.
  [[nodiscard]] int fd() const { return read_end_.get(); }
  [[nodiscard]] static bool stop_requested() noexcept;

 private:
  UniqueFd read_end_;
  UniqueFd write_end_;
};

}  // namespace cryptochat
