// `cryptochat serve`: wait for peers and chat with (or pipe data to and from) each.
#pragma once

#include <CLI/App.hpp>

#include "cli/subcommand.hpp"

namespace cryptochat::cli {

Command add_serve(CLI::App& app);

}  // namespace cryptochat::cli
