// `cryptochat connect HOST:PORT`: talk to (or pipe data through) a cryptochat server.
#pragma once

#include <CLI/App.hpp>

#include <functional>

#include "util/console.hpp"

namespace cryptochat::cli {

std::function<void(const Console&)> add_connect(CLI::App& app);

}  // namespace cryptochat::cli
