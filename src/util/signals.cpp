#include "util/signals.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <string>

namespace cryptochat {

namespace {
constexpr std::array<int, 3> kStopSignals = {SIGINT, SIGTERM, SIGHUP};

// Written by the signal handler; plain atomics of lock-free types are async-signal-safe.
// NOLINTBEGIN(cppcoreguidelines-avoid-non-const-global-variables)
std::atomic<int> g_wake_fd{-1};
std::atomic<int> g_count{0};
std::atomic<int> g_first{0};
std::array<struct sigaction, kStopSignals.size()> g_saved{};
std::atomic<int> g_hangup_fd{-1};
struct sigaction g_saved_hangup {};
// NOLINTEND(cppcoreguidelines-avoid-non-const-global-variables)

extern "C" void on_stop_signal(int sig) {
  const int saved_errno = errno;
  int none = 0;
  g_first.compare_exchange_strong(none, sig);
  g_count.fetch_add(1);
  const int fd = g_wake_fd.load();
  if (fd >= 0) {
    const char byte = 1;
    static_cast<void>(::write(fd, &byte, 1));
  }
  errno = saved_errno;
}

extern "C" void on_hangup_signal(int /*sig*/) {
  const int saved_errno = errno;
  const int fd = g_hangup_fd.load();
  if (fd >= 0) {
    const char byte = 1;
    static_cast<void>(::write(fd, &byte, 1));
  }
  errno = saved_errno;
}

// A non-blocking close-on-exec pipe: {read end, write end}.
void make_pipe(UniqueFd& read_end, UniqueFd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw IoError("cannot create a pipe: " + errno_text(errno));
  }
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
}
}  // namespace

void ignore_sigpipe() noexcept {
  static_cast<void>(std::signal(SIGPIPE, SIG_IGN));
}

StopSignals::StopSignals() {
  make_pipe(read_end_, write_end_);
  g_wake_fd.store(write_end_.get());
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking call returns EINTR and the loop looks again
  for (std::size_t i = 0; i < kStopSignals.size(); ++i) {
    ::sigaction(kStopSignals.at(i), &sa, &g_saved.at(i));
  }
}

StopSignals::~StopSignals() {
  for (std::size_t i = 0; i < kStopSignals.size(); ++i) {
    ::sigaction(kStopSignals.at(i), &g_saved.at(i), nullptr);
  }
  g_wake_fd.store(-1);
}

bool StopSignals::stop_requested() noexcept {
  return g_count.load() > 0;
}

int StopSignals::count() noexcept {
  return g_count.load();
}

int StopSignals::first_signal() noexcept {
  return g_first.load();
}

void StopSignals::drain(int fd) noexcept {
  char buf[64];
  while (::read(fd, buf, sizeof buf) > 0) {
  }
}

HangupSignal::HangupSignal() {
  make_pipe(read_end_, write_end_);
  g_hangup_fd.store(write_end_.get());
  struct sigaction sa {};
  sa.sa_handler = on_hangup_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  ::sigaction(SIGHUP, &sa, &g_saved_hangup);
}

HangupSignal::~HangupSignal() {
  ::sigaction(SIGHUP, &g_saved_hangup, nullptr);
  g_hangup_fd.store(-1);
}

const char* signal_name(int sig) noexcept {
  switch (sig) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    case SIGQUIT:
      return "SIGQUIT";
    default:
      return "a signal";
  }
}

Interrupted interrupted(std::string_view during) {
  const int sig = StopSignals::first_signal() != 0 ? StopSignals::first_signal() : SIGINT;
  return {sig, std::string("interrupted by ") + signal_name(sig) + std::string(during)};
}

}  // namespace cryptochat
