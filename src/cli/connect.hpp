// `cryptochat connect HOST:PORT`: talk to (or pipe data through) a cryptochat server.
#pragma once

#include <CLI/App.hpp>

#include "cli/subcommand.hpp"

namespace cryptochat::cli {

Command add_connect(CLI::App& app);

}  // namespace cryptochat::cli
