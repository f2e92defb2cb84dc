// Checks of option values whose messages are ours, naming the option and the value as typed:
// "--port 70000: must be 0 to 65535". CLI11 reports a failed check as a ValidationError; the
// whole message of the last failure is kept here for the top level to print (app.cpp), and
// CLI11 gets "VALUE: why" (what a configuration file error shows after the option's name).
#pragma once

#include <CLI/Error.hpp>
#include <CLI/Validators.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace cryptochat::cli {

// The longest time limit: 30 days.
inline constexpr double kMaxSeconds = 30.0 * 24 * 60 * 60;

// The message of the last check that failed ("--port 70000: must be 0 to 65535"), once.
std::optional<std::string> take_check_failure();

// A check of option's value: why(value) is empty when the value is fine, else the reason.
CLI::Validator checked(std::string option, std::function<std::string(const std::string&)> why);

// A whole number from min to max, decimal digits only (no sign, no spaces).
CLI::Validator integer_in(std::string option, long long min, long long max);

// Seconds as "1.5" or a number with a unit: "90s", "5m", "2h", "1d". nullopt when it is not
// such a number. No sign, exponent, inf or nan.
std::optional<double> parse_duration(std::string_view text);

// A time limit (a transform: the value becomes plain seconds for the double it is stored in):
// at most kMaxSeconds; 0 is allowed (and means no limit) only when zero_means_never, and
// otherwise the least is 1 ms.
CLI::Validator duration(std::string option, bool zero_means_never);

// What the help says about TIME values.
inline constexpr std::string_view kTimeHelp =
    "TIME is seconds (1.5) or a number with a unit (90s, 5m, 2h, 1d), at most 30 days.";

}  // namespace cryptochat::cli
