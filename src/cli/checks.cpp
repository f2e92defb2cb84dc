#include "cli/checks.hpp"

#include <fmt/format.h>

#include <memory>
#include <utility>

#include "util/text.hpp"

namespace cryptochat::cli {

namespace {

// Set by a failing check and read once by the top level, on the main thread (parsing).
std::optional<std::string>& last_failure() {
  static std::optional<std::string>
      failure;  // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)
  return failure;
}

bool all_digits(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

std::string seconds_text(double seconds) {
  return fmt::format("{:.0f} s", seconds);
}

// Records the whole message and returns CLI11's part of it.
std::string fail(const std::string& option, const std::string& value, const std::string& why) {
  std::string shown = fmt::format("{}: {}", printable(value), why);
  last_failure() = fmt::format("{} {}", option, shown);
  return shown;
}

}  // namespace

std::optional<std::string> take_check_failure() {
  return std::exchange(last_failure(), std::nullopt);
}

CLI::Validator checked(std::string option, std::function<std::string(const std::string&)> why) {
  return {[option = std::move(option), why = std::move(why)](std::string& value) -> std::string {
            std::string reason = why(value);
            return reason.empty() ? reason : fail(option, value, reason);
          },
          ""};
}

CLI::Validator integer_in(std::string option, long long min, long long max) {
  return checked(std::move(option), [min, max](const std::string& value) -> std::string {
    const std::string range = fmt::format("{} to {}", min, max);
    // At most 18 digits always fit in a long long.
    if (!all_digits(value) || value.size() > 18) {
      return all_digits(value) ? fmt::format("must be {}", range)
                               : fmt::format("not a whole number; use {}", range);
    }
    const long long n = std::stoll(value);
    if (n < min || n > max) {
      return fmt::format("must be {}", range);
    }
    return {};
  });
}

std::optional<double> parse_duration(std::string_view text) {
  double unit = 1;
  if (!text.empty()) {
    const char last = text.back();
    unit = last == 'm' ? 60 : last == 'h' ? 60 * 60 : last == 'd' ? 24 * 60 * 60 : 1;
    if (last == 's' || last == 'm' || last == 'h' || last == 'd') {
      text.remove_suffix(1);
    }
  }
  const auto dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view part = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  const bool has_dot = dot != std::string_view::npos;
  if ((whole.empty() && part.empty()) || (!whole.empty() && !all_digits(whole)) ||
      (has_dot && !all_digits(part)) || whole.size() > 12 || part.size() > 12) {
    return std::nullopt;
  }
  return std::stod(std::string(text)) * unit;
}

CLI::Validator duration(std::string option, bool zero_means_never) {
  return {[option = std::move(option), zero_means_never](std::string& value) -> std::string {
            const std::string range =
                fmt::format("{} to 30 days ({})", zero_means_never ? "0 (no limit)" : "1 ms",
                            seconds_text(kMaxSeconds));
            const auto seconds = parse_duration(value);
            if (!seconds) {
              return fail(option, value,
                          fmt::format("not a time; use seconds or a number with s, m, h or d "
                                      "(90s, 5m, 2h, 1d), {}",
                                      range));
            }
            const bool never = zero_means_never && *seconds <= 0;
            if (*seconds > kMaxSeconds || (*seconds < 0.001 && !never)) {
              return fail(option, value, fmt::format("must be {}", range));
            }
            value = fmt::format("{}", *seconds);  // plain seconds, for the double it goes in
            return {};
          },
          ""};
}

}  // namespace cryptochat::cli
