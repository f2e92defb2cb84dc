// The configuration file: defaults for the command line, in TOML (parsed by toml++).
//
//   $XDG_CONFIG_HOME/cryptochat/config.toml (or --config FILE)
//   verbose = true           # global flags at the top
//   [connect]                # a subcommand's options in its section, named as the long option
//   name = "alice"
//   key = "/home/alice/keys/work"
//
// The command line wins over the file. A missing default file is fine, a missing --config file
// is an error, and so is a key that names no option (a typo must not silently do nothing), a
// value of the wrong TOML type or one the option refuses, and any TOML error: each is one line
// naming the file, the line and the key. The file is applied to the options here, so no message
// of CLI11's is ever read to find out what went wrong.
#pragma once

#include <CLI/App.hpp>

#include <optional>
#include <span>
#include <string>

namespace cryptochat::cli {

// A larger file is refused before it is parsed: the file is input like any other.
inline constexpr std::size_t kMaxConfigBytes = std::size_t{64} * 1024;

// Adds --config to app, with the default file, and makes unknown keys an error. args: the
// command line without the program name.
void add_config_option(CLI::App& app, std::span<char* const> args);

// A one-line message for an error about the configuration file, or nothing when e is about
// the command line (args: the command line without the program name).
std::optional<std::string> config_error_message(const CLI::App& app, const CLI::ParseError& e,
                                                std::span<char* const> args);

}  // namespace cryptochat::cli
