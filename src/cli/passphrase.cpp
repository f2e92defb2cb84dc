#include "cli/passphrase.hpp"

#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/file.hpp"

namespace cryptochat::cli {

namespace {

constexpr std::size_t kMaxPassphraseBytes = 1024;

// The terminal state to restore if a signal arrives while echo is off.
termios g_saved_termios{};  // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)

extern "C" void restore_and_reraise(int sig) {
  // Only async-signal-safe calls; their results cannot be acted on here.
  static_cast<void>(::tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_termios));
  static_cast<void>(std::signal(sig, SIG_DFL));
  static_cast<void>(std::raise(sig));
}

// Turns terminal echo off for its lifetime, and back on even when interrupted.
class EchoOff {
 public:
  EchoOff() {
    if (::tcgetattr(STDIN_FILENO, &g_saved_termios) != 0) {
      throw IoError(fmt::format("cannot read the terminal settings: {}", errno_text(errno)));
    }
    for (const int sig : {SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGTSTP}) {
      static_cast<void>(std::signal(sig, restore_and_reraise));
    }
    termios quiet = g_saved_termios;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    if (::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0) {
      throw IoError(fmt::format("cannot turn terminal echo off: {}", errno_text(errno)));
    }
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;
  EchoOff(EchoOff&&) = delete;
  EchoOff& operator=(EchoOff&&) = delete;
  ~EchoOff() {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_termios);
    for (const int sig : {SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGTSTP}) {
      static_cast<void>(std::signal(sig, SIG_DFL));
    }
  }
};

Secret prompt(const std::string& text) {
  // Echo goes off before the prompt shows: whatever is typed once the prompt is visible is
  // never echoed (typeahead from before is discarded by TCSAFLUSH).
  const EchoOff echo_off;
  fmt::print(stderr, "{}", text);
  static_cast<void>(std::fflush(stderr));
  Secret answer;
  while (true) {
    char c = 0;
    const ssize_t n = ::read(STDIN_FILENO, &c, 1);
    if (n < 0 && errno == EINTR) {
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
  FileContents file = read_file(path, kMaxPassphraseBytes, "passphrase file");
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
