// `cryptochat keygen`: make an identity (RSA key pair) or show a key's fingerprint.
#pragma once

#include <CLI/App.hpp>

#include "cli/subcommand.hpp"

namespace cryptochat::cli {

// Registers the subcommand; the returned function runs it after a successful parse.
Command add_keygen(CLI::App& app);

}  // namespace cryptochat::cli
