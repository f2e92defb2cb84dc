#include "cli/passphrase.hpp"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/file.hpp"
#include "util/signals.hpp"
#include "util/unique_fd.hpp"

namespace cryptochat::cli {

namespace {

constexpr std::size_t kMaxPassphraseBytes = 1024;

// The signals the prompt handles itself while echo is off: the stop signals end the program
// (after the terminal is restored), SIGTSTP suspends it with echo back on (readpassphrase(3)).
constexpr std::array<int, 5> kPromptSignals = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP};

// Written by the handler; lock-free atomics are async-signal-safe.
// NOLINTBEGIN(cppcoreguidelines-avoid-non-const-global-variables)
std::atomic<int> g_prompt_signal{0};
std::atomic<int> g_prompt_wake{-1};
// NOLINTEND(cppcoreguidelines-avoid-non-const-global-variables)

extern "C" void on_prompt_signal(int sig) {
  const int saved_errno = errno;
  g_prompt_signal.store(sig);
  const int fd = g_prompt_wake.load();
  if (fd >= 0) {
    const char byte = 1;
    static_cast<void>(::write(fd, &byte, 1));
  }
  errno = saved_errno;
}

// For its lifetime the prompt's handlers replace whatever was there (the stop signals' own,
// say), which are saved with sigaction and put back after, untouched. A signal only wakes the
// prompt (a byte in a pipe); the prompt acts on it outside the handler.
class PromptSignals {
 public:
  PromptSignals() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
      throw IoError(fmt::format("cannot create a pipe: {}", errno_text(errno)));
    }
    read_end_.reset(fds[0]);
    write_end_.reset(fds[1]);
    g_prompt_signal.store(0);
    g_prompt_wake.store(fds[1]);
    for (std::size_t i = 0; i < kPromptSignals.size(); ++i) {
      struct sigaction sa {};
      sa.sa_handler = on_prompt_signal;
      sigemptyset(&sa.sa_mask);
      ::sigaction(kPromptSignals.at(i), &sa, &saved_.at(i));
    }
  }
  PromptSignals(const PromptSignals&) = delete;
  PromptSignals& operator=(const PromptSignals&) = delete;
  PromptSignals(PromptSignals&&) = delete;
  PromptSignals& operator=(PromptSignals&&) = delete;
  ~PromptSignals() {
    for (std::size_t i = 0; i < kPromptSignals.size(); ++i) {
      ::sigaction(kPromptSignals.at(i), &saved_.at(i), nullptr);
    }
    g_prompt_wake.store(-1);
  }

  [[nodiscard]] int fd() const { return read_end_.get(); }
  // The signal that arrived (0: none), taking it.
  int take() {
    char buf[16];
    while (::read(read_end_.get(), buf, sizeof buf) > 0) {
    }
    return g_prompt_signal.exchange(0);
  }
  // Stops the process as SIGTSTP's default action does; returns once it is continued.
  static void suspend() {
    struct sigaction dfl {};
    struct sigaction ours {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    ::sigaction(SIGTSTP, &dfl, &ours);
    static_cast<void>(std::raise(SIGTSTP));
    ::sigaction(SIGTSTP, &ours, nullptr);
  }

 private:
  UniqueFd read_end_;
  UniqueFd write_end_;
  std::array<struct sigaction, kPromptSignals.size()> saved_{};
};

// Terminal echo off for its lifetime (and on again while suspended); the settings it found are
// put back however the prompt ends.
class EchoOff {
 public:
  EchoOff() {
    if (::tcgetattr(STDIN_FILENO, &saved_) != 0) {
      throw IoError(fmt::format("cannot read the terminal settings: {}", errno_text(errno)));
    }
    off();
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;
  EchoOff(EchoOff&&) = delete;
  EchoOff& operator=(EchoOff&&) = delete;
  ~EchoOff() { restore(); }

  void off() const {
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    // TCSAFLUSH: what was typed before the prompt shows is discarded, never read unechoed.
    if (::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0) {
      throw IoError(fmt::format("cannot turn terminal echo off: {}", errno_text(errno)));
    }
  }
  void restore() const { static_cast<void>(::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_)); }

 private:
  termios saved_{};
};

void show(const std::string& text) {
  fmt::print(stderr, "{}", text);
  static_cast<void>(std::fflush(stderr));
}

// A signal came while asking: SIGTSTP suspends with echo on, and the question is asked again
// on resuming (what was typed is dropped, as readpassphrase(3) does); the others end the
// program with exit status 128 + the signal.
void handle_prompt_signal(int sig, const EchoOff& echo, const std::string& text) {
  echo.restore();
  show("\n");
  if (sig != SIGTSTP) {
    throw Interrupted(sig, std::string("interrupted by ") + signal_name(sig));
  }
  PromptSignals::suspend();
  echo.off();
  show(text);
}

Secret prompt(const std::string& text) {
  PromptSignals signals;
  // Echo goes off before the prompt shows: whatever is typed once the prompt is visible is
  // never echoed.
  const EchoOff echo;
  show(text);
  Secret answer;
  while (true) {
    std::array<pollfd, 2> fds{pollfd{STDIN_FILENO, POLLIN, 0}, pollfd{signals.fd(), POLLIN, 0}};
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw IoError(fmt::format("cannot wait for the terminal: {}", errno_text(errno)));
    }
    if ((fds[1].revents & POLLIN) != 0) {
      if (const int sig = signals.take(); sig != 0) {
        handle_prompt_signal(sig, echo, text);
        answer.clear();  // asked again from the start
      }
      continue;
    }
    if (fds[0].revents == 0) {
      continue;
    }
    char c = 0;
    const ssize_t n = ::read(STDIN_FILENO, &c, 1);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
      continue;
    }
    if (n <= 0 || c == '\n') {
      break;
    }
    if (answer.size() >= kMaxPassphraseBytes) {
      throw Error(ExitCode::failure,
                  fmt::format("passphrase longer than {} bytes", kMaxPassphraseBytes));
    }
    answer.push_back(c);
  }
  return answer;
}

// A passphrase file holds the passphrase on its first line; the line end is not part of it.
Secret read_passphrase_file(const std::string& path) {
  FileContents file = read_file(path, kMaxPassphraseBytes, "passphrase file", FileRule::secret);
  Secret contents(std::move(file.bytes));
  const auto view = contents.view();
  const auto end = view.find_first_of("\r\n");
  return Secret(std::string(view.substr(0, end)));
}

// Takes the variable's value and wipes it from the environment, so it is not left readable in
// memory or passed to anything started later.
std::optional<Secret> take_env_passphrase() {
  char* value = std::getenv(kPassphraseEnv);  // NOLINT(concurrency-mt-unsafe)
  if (value == nullptr) {
    return std::nullopt;
  }
  Secret secret{std::string(value)};
  wipe(value, std::strlen(value));
  ::unsetenv(kPassphraseEnv);  // NOLINT(concurrency-mt-unsafe): before any thread starts
  return secret;
}

}  // namespace

PassphraseSource::PassphraseSource(std::string passphrase_file)
    : file_(std::move(passphrase_file)) {}

std::optional<Secret> PassphraseSource::non_interactive() const {
  if (!file_.empty()) {
    return read_passphrase_file(file_);
  }
  // The environment is read once; later calls get nothing from it. Cache for repeat requests.
  static std::optional<Secret> from_env = take_env_passphrase();
  if (from_env) {
    return Secret(from_env->str());
  }
  return std::nullopt;
}

Secret PassphraseSource::for_new_key() const {
  if (auto pass = non_interactive()) {
    return std::move(*pass);
  }
  if (::isatty(STDIN_FILENO) == 0) {
    return {};
  }
  Secret first = prompt("Passphrase for the new key (empty for none): ");
  if (first.empty()) {
    return first;
  }
  const Secret second = prompt("Same passphrase again: ");
  if (first.view() != second.view()) {
    throw Error(ExitCode::failure, "the passphrases do not match; no key was written");
  }
  return first;
}

crypto::PassphraseProvider PassphraseSource::provider() const {
  return [this](const std::string& origin) -> std::optional<Secret> {
    if (auto pass = non_interactive()) {
      return pass;
    }
    if (::isatty(STDIN_FILENO) == 0) {
      return std::nullopt;
    }
    return prompt(fmt::format("Passphrase for '{}': ", origin));
  };
}

}  // namespace cryptochat::cli
