// What every subcommand file shares: the function that runs it once the command line is
// parsed, and the option for a time limit in seconds.
#pragma once

#include <fmt/format.h>
#include <CLI/App.hpp>
#include <CLI/Validators.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "cli/checks.hpp"
#include "util/console.hpp"

namespace cryptochat::cli {

using Command = std::function<void(const Console&)>;

// Runs run(options, console) when the subcommand cmd was the one given.
template <typename Options, typename Run>
Command when_parsed(const CLI::App* cmd, std::shared_ptr<Options> options, Run run) {
  return [cmd, options = std::move(options), run](const Console& console) {
    if (cmd->parsed()) {
      run(*options, console);
    }
  };
}

// A time limit in seconds, typed as TIME (checks.hpp: "1.5", "90s", "5m", "2h", "1d", at most
// 30 days). zero_means_never: 0 is allowed and means no limit (the caller handles it).
inline CLI::Option* add_seconds_option(CLI::App& cmd, const std::string& name, double& seconds,
                                       const std::string& help, bool zero_means_never = false) {
  auto* opt = cmd.add_option(name, seconds, help)
                  ->type_name("TIME")
                  ->transform(duration(name, zero_means_never));
  if (seconds > 0) {
    opt->default_str(fmt::format("{:g}s", seconds));
  }
  return opt;
}

// --end-timeout (connect, and serve --once): how long a session whose end the peer confirmed
// waits for the peer's own end while it sends nothing; 0 means for ever.
inline CLI::Option* add_end_timeout_option(CLI::App& cmd, double& seconds,
                                           const std::string& where = {}) {
  return add_seconds_option(cmd, "--end-timeout", seconds,
                            "Once the peer confirmed our end, give up when it sends nothing for "
                            "this long without ending its own" +
                                where + " (0: never)",
                            true);
}

inline std::chrono::milliseconds end_timeout_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

}  // namespace cryptochat::cli
