#include "cli/app.hpp"

#include <botan/version.h>
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <charconv>
#include <cstdlib>
#include <functional>
#include <new>
#include <span>
#include <vector>

#include "cli/config_file.hpp"
#include "cli/connect.hpp"
#include "cli/keygen.hpp"
#include "cli/known_hosts.hpp"
#include "cli/serve.hpp"
#include "cli/usage.hpp"
#include "cli/version.hpp"
#include "crypto/locked_memory.hpp"
#include "crypto/record.hpp"
#include "util/console.hpp"
#include "util/error.hpp"
#include "util/hardening.hpp"

namespace cryptochat::cli {

namespace {

int report(ExitCode code, std::string_view message) {
  fmt::print(stderr, "cryptochat: error: {}\n", message);
  return static_cast<int>(code);
}

// CRYPTOCHAT_REKEY_RECORDS (a testing aid, man page ENVIRONMENT): a lower number of records
// under one key before a key update, and the receiving limit that goes with it.
void apply_rekey_environment() {
  const char* value = std::getenv("CRYPTOCHAT_REKEY_RECORDS");  // NOLINT(concurrency-mt-unsafe)
  if (value == nullptr || *value == '\0') {
    return;
  }
  const std::string_view text(value);
  std::uint64_t records = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), records);
  if (error != std::errc() || end != text.data() + text.size() || records < 2 ||
      records > crypto::RecordLimits::kSend) {
    throw UsageError(
        fmt::format("CRYPTOCHAT_REKEY_RECORDS must be a number of records from 2 to {}",
                    crypto::RecordLimits::kSend));
  }
  crypto::set_default_record_limits(crypto::RecordLimits::with_send_limit(records));
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
  app.formatter(std::make_shared<HelpFormatter>());  // before the subcommands, which copy it
  app.set_version_flag("--version,-V", version_text());
  app.require_subcommand(1);
  // Global flags are accepted before or after the subcommand name.
  app.fallthrough();
  bool verbose = false;
  bool quiet = false;
  auto* verbose_flag = app.add_flag("--verbose,-v", verbose, "Say more on stderr");
  app.add_flag("--quiet,-q", quiet,
               "Only errors, warnings and results on stderr (serve still says where it listens: "
               "the port a script asked for with port 0)")
      ->excludes(verbose_flag);
  // `help [SUBCOMMAND]` is --help: the words are rewritten before anything reads them.
  HelpRewrite rewrite = rewrite_help(
      std::span<char* const>(argv + 1, argc > 0 ? static_cast<std::size_t>(argc - 1) : 0));
  std::vector<char*> words{argc > 0 ? argv[0] : nullptr};
  for (std::string& word : rewrite.args) {
    words.push_back(word.data());
  }
  const std::span<char* const> args(words.data() + 1, words.size() - 1);
  add_config_option(app, args);

  std::vector<Command> commands;
  commands.push_back(add_keygen(app));
  commands.push_back(add_serve(app));
  commands.push_back(add_connect(app));
  commands.push_back(add_known_hosts(app));

  if (const auto message = check_help_target(app, rewrite)) {
    return report(ExitCode::usage, *message);
  }
  try {
    app.parse(static_cast<int>(words.size()), words.data());
  } catch (const CLI::ParseError& e) {
    if (const auto message = config_error_message(app, e, args)) {
      return report(ExitCode::usage, *message);
    }
    if (dynamic_cast<const CLI::Success*>(&e) != nullptr) {
      return app.exit(e);  // --help, help, --version: printed on stdout
    }
    return report(ExitCode::usage, usage_error_message(app, e, args));
  }

  const Console console(quiet     ? Verbosity::quiet
                        : verbose ? Verbosity::verbose
                                  : Verbosity::normal);
  try {
    apply_rekey_environment();  // before any session
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
