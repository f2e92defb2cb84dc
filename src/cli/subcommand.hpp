// What every subcommand file shares: the function that runs it once the command line is
// parsed, and the option for a time limit in seconds.
#pragma once

#include <CLI/App.hpp>
#include <CLI/Validators.hpp>

#include <functional>
#include <memory>
#include <string>

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

inline CLI::Option* add_seconds_option(CLI::App& cmd, const std::string& name, double& seconds,
                                       const std::string& help) {
  return cmd.add_option(name, seconds, help)
      ->capture_default_str()
      ->type_name("SECONDS")
      ->check(CLI::Range(0.1, 3600.0));
}

}  // namespace cryptochat::cli
