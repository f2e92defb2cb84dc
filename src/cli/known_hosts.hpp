// `cryptochat known-hosts list [HOST:PORT]`, `cryptochat known-hosts remove HOST:PORT` and
// `cryptochat known-hosts hash`: what the client remembers of servers (trust/known_hosts.hpp),
// like ssh-keygen -F, -R and -H.
#pragma once

#include <CLI/App.hpp>

#include "cli/subcommand.hpp"

namespace cryptochat::cli {

// Registers the subcommand; the returned function runs it after a successful parse.
Command add_known_hosts(CLI::App& app);

}  // namespace cryptochat::cli
