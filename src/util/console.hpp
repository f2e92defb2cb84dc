// What the program tells its user on stderr, filtered by -q/--quiet and -v/--verbose.
// stdout is reserved for results (and, in a chat, for the received messages only).
#pragma once

#include <fmt/format.h>

#include <cstdio>
#include <string_view>

namespace cryptochat {

enum class Verbosity { quiet, normal, verbose };

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

  // Warnings are shown even with --quiet: they concern security.
  template <typename... Args>
  void warn(fmt::format_string<Args...> format, Args&&... args) const {
    line(fmt::format(format, std::forward<Args>(args)...));
  }

 private:
  static void line(std::string_view text) { fmt::print(stderr, "cryptochat: {}\n", text); }
  Verbosity verbosity_;
};

}  // namespace cryptochat
