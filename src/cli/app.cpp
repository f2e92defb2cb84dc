#include "cli/app.hpp"

#include <botan/version.h>
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <functional>
#include <new>
#include <span>
#include <vector>

#include "cli/config_file.hpp"
#include "cli/connect.hpp"
#include "cli/keygen.hpp"
#include "cli/known_hosts.hpp"
#include "cli/serve.hpp"
#include "cli/version.hpp"
#include "crypto/locked_memory.hpp"
#include "util/console.hpp"
#include "util/error.hpp"
#include "util/hardening.hpp"

namespace cryptochat::cli {

namespace {

int report(ExitCode code, std::string_view message) {
  fmt::print(stderr, "cryptochat: error: {}\n", message);
  return static_cast<int>(code);
}

std::string version_text() {
  return fmt::format("cryptochat {} (Botan {}.{}.{})", kVersion, Botan::version_major(),
                     Botan::version_minor(), Botan::version_patch());
}

}  // namespace

int run(int argc, char** argv) {
  crypto::limit_locked_memory_pool();  // before any secret exists
  harden_process();

  CLI::App app{"cryptochat: end-to-end encrypted chat and pipes over TCP", "cryptochat"};
  app.set_version_flag("--version,-V", version_text());
  app.require_subcommand(1);
  // Global flags are accepted before or after the subcommand name.
  app.fallthrough();
  bool verbose = false;
  bool quiet = false;
  auto* verbose_flag = app.add_flag("--verbose,-v", verbose, "Say more on stderr");
  app.add_flag("--quiet,-q", quiet, "Only errors and warnings on stderr")->excludes(verbose_flag);
  const std::span<char* const> args(argv + 1, argc > 0 ? static_cast<std::size_t>(argc - 1) : 0);
  add_config_option(app, args);

  std::vector<Command> commands;
  commands.push_back(add_keygen(app));
  commands.push_back(add_serve(app));
  commands.push_back(add_connect(app));
  commands.push_back(add_known_hosts(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (const auto message = config_error_message(app, e, args)) {
      return report(ExitCode::usage, *message);
    }
    const int status = app.exit(e);
    return status == 0 ? 0 : static_cast<int>(ExitCode::usage);
  }

  const Console console(quiet     ? Verbosity::quiet
                        : verbose ? Verbosity::verbose
                                  : Verbosity::normal);
  try {
    for (const auto& command : commands) {
      command(console);
    }
    return 0;
  } catch (const Error& e) {
    return report(e.code(), e.what());
  } catch (const std::bad_alloc&) {
    return report(ExitCode::failure, "out of memory");
  } catch (const std::exception& e) {
    // Anything else is a bug or an unexpected library failure: still one line, no secrets
    // (library messages never contain key material).
    return report(ExitCode::failure, fmt::format("unexpected failure: {}", e.what()));
  }
}

}  // namespace cryptochat::cli
