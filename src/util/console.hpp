// What the program tells its user on stderr, filtered by -q/--quiet and -v/--verbose.
// stdout is reserved for results (and, in a chat, for the received messages only).
#pragma once

#include <fmt/format.h>

#include <cstdio>
#include <string_view>

namespace cryptochat {

enum class Verbosity { quiet, normal, verbose };

// Where console lines go instead of stderr while a line editor owns the terminal
// (term/line_editor.hpp): it prints them above the line being typed rather than through it.
class ConsoleSink {
 public:
  ConsoleSink() = default;
  ConsoleSink(const ConsoleSink&) = delete;
  ConsoleSink& operator=(const ConsoleSink&) = delete;
  ConsoleSink(ConsoleSink&&) = delete;
  ConsoleSink& operator=(ConsoleSink&&) = delete;
  virtual ~ConsoleSink() = default;
  // One whole line, ending in '\n'.
  virtual void console_line(std::string_view line) = 0;
};

// The sink in use (nullptr: stderr). Set and used on the main thread only.
inline ConsoleSink*& console_sink() {
  static ConsoleSink* sink = nullptr;  // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)
  return sink;
}

class Console {
 public:
  explicit Console(Verbosity verbosity = Verbosity::normal) : verbosity_(verbosity) {}

  [[nodiscard]] Verbosity verbosity() const { return verbosity_; }

  // Events the user should see (suppressed by --quiet).
  template <typename... Args>
  void info(fmt::format_string<Args...> format, Args&&... args) const {
    if (verbosity_ != Verbosity::quiet) {
      line(fmt::format(format, std::forward<Args>(args)...));
    }
  }

  // Detail for --verbose only.
  template <typename... Args>
  void debug(fmt::format_string<Args...> format, Args&&... args) const {
    if (verbosity_ == Verbosity::verbose) {
      line(fmt::format(format, std::forward<Args>(args)...));
    }
  }

  // Results a script may need on stderr, such as where a server listens (the port --port 0
  // chose): shown even with --quiet, which silences chatter, not results.
  template <typename... Args>
  void result(fmt::format_string<Args...> format, Args&&... args) const {
    line(fmt::format(format, std::forward<Args>(args)...));
  }

  // Warnings are shown even with --quiet: they concern security.
  template <typename... Args>
  void warn(fmt::format_string<Args...> format, Args&&... args) const {
    line(fmt::format(format, std::forward<Args>(args)...));
  }

 private:
  static void line(std::string_view text) {
    if (ConsoleSink* sink = console_sink()) {
      sink->console_line(fmt::format("cryptochat: {}\n", text));
    } else {
      fmt::print(stderr, "cryptochat: {}\n", text);
    }
  }
  Verbosity verbosity_;
};

}  // namespace cryptochat
