// `cryptochat serve`: wait for peers and chat with (or pipe data to and from) each.
#pragma once

#include <CLI/App.hpp>

#include <functional>

#include "util/console.hpp"

namespace cryptochat::cli {

std::function<void(const Console&)> add_serve(CLI::App& app);

}  // namespace cryptochat::cli
