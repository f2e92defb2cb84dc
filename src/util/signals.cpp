#include "util/signals.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>

#include "util/error.hpp"

namespace cryptochat {

namespace {
// Written by the signal handler; plain atomics of lock-free types are async-signal-safe.
// NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables)
std::atomic<int> g_wake_fd{-1};
// NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables)
std::atomic<bool> g_stop_requested{false};

extern "C" void on_stop_signal(int /*sig*/) {
  const int saved_errno = errno;
  g_stop_requested.store(true);
  const int fd = g_wake_fd.load();
  if (fd >= 0) {
    const char byte = 1;
    static_cast<void>(::write(fd, &byte, 1));
  }
  errno = saved_errno;
}
}  // namespace

void ignore_sigpipe() noexcept {
  static_cast<void>(std::signal(SIGPIPE, SIG_IGN));
}

StopSignals::StopSignals() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw IoError("cannot create a pipe: " + errno_text(errno));
  }
  read_end_.reset(fds[0]);
  write_end_.reset(fds[1]);
  g_wake_fd.store(fds[1]);
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking call returns EINTR and the loop looks again
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

StopSignals::~StopSignals() {
  static_cast<void>(std::signal(SIGINT, SIG_DFL));
  static_cast<void>(std::signal(SIGTERM, SIG_DFL));
  g_wake_fd.store(-1);
}

bool StopSignals::stop_requested() noexcept {
  return g_stop_requested.load();
}

}  // namespace cryptochat
