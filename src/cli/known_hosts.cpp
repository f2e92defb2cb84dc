#include "cli/known_hosts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <string>

#include "trust/known_hosts.hpp"
#include "trust/trust_error.hpp"
#include "util/error.hpp"
#include "util/text.hpp"

namespace cryptochat::cli {

namespace {

struct KnownHostsOptions {
  CLI::App* list = nullptr;
  CLI::App* remove = nullptr;
  CLI::App* hash = nullptr;
  std::string address;  // list: optional filter; remove: required
};

void check_address(const std::string& address) {
  if (!trust::is_storable_address(address)) {
    throw UsageError(fmt::format(
        "'{}' cannot be in a known_hosts file (give HOST:PORT as you typed it to connect)",
        printable(address)));
  }
}

[[noreturn]] void no_entry(const std::string& address, const std::string& path) {
  throw trust::TrustError(fmt::format("no entry for {} in {}", printable(address), path));
}

void list(const KnownHostsOptions& opts, const Console& console) {
  const std::string path = trust::default_known_hosts_path();
  if (!opts.address.empty()) {
    check_address(opts.address);
  }
  const auto hosts = trust::KnownHosts::load(path);
  // Malformed lines are not listed (stdout stays "ADDRESS FINGERPRINT" lines): each is named
  // on stderr, as connect names them.
  for (const std::string& warning : hosts.malformed_warnings()) {
    console.warn("{}", printable(warning));
  }
  std::size_t shown = 0;
  // A hashed line shows its hashed address: the file does not say whose it is.
  for (const auto& entry :
       opts.address.empty() ? hosts.entries() : hosts.entries_for(opts.address)) {
    if (entry.malformed.empty()) {
      fmt::print("{} {}\n", printable(entry.address), entry.fingerprint);
      ++shown;
    }
  }
  if (shown == 0) {
    if (!opts.address.empty()) {
      no_entry(opts.address, path);
    }
    console.info("no servers are remembered in {}", path);
  }
}

void remove(const KnownHostsOptions& opts, const Console& console) {
  const std::string path = trust::default_known_hosts_path();
  check_address(opts.address);
  {
    // The malformed lines that stay are named as list and connect name them, with the line
    // numbers they have now.
    const auto hosts = trust::KnownHosts::load(path);
    const auto going = hosts.entries_for(opts.address);
    const auto bad = hosts.malformed();
    const auto warnings = hosts.malformed_warnings();
    for (std::size_t i = 0; i < bad.size(); ++i) {
      if (std::ranges::none_of(going, [&](const auto& e) { return e.line == bad[i].line; })) {
        console.warn("{}", printable(warnings[i]));
      }
    }
  }
  const auto removed = trust::remove_known_host(path, opts.address);
  if (removed.empty()) {
    no_entry(opts.address, path);
  }
  for (const auto& entry : removed) {
    if (entry.malformed.empty()) {
      fmt::print("removed {} {} (line {} of {})\n", printable(entry.address), entry.fingerprint,
                 entry.line, path);
    } else {
      fmt::print("removed {} (line {} of {}, malformed: {})\n", printable(entry.address),
                 entry.line, path, entry.malformed);
    }
  }
}

void hash(const Console& console) {
  const std::string path = trust::default_known_hosts_path();
  for (const std::string& warning : trust::KnownHosts::load(path).malformed_warnings()) {
    console.warn("{}", printable(warning));
  }
  const std::size_t hashed = trust::hash_known_hosts(path);
  if (hashed == 0) {
    console.info("no plain lines to hash in {}", path);
    return;
  }
  fmt::print("hashed {} line{} of {}\n", hashed, hashed == 1 ? "" : "s", path);
}

}  // namespace

Command add_known_hosts(CLI::App& app) {
  auto opts = std::make_shared<KnownHostsOptions>();
  auto* cmd = app.add_subcommand("known-hosts",
                                 "List, remove or hash the servers whose keys connect remembers "
                                 "[file: $XDG_CONFIG_HOME/cryptochat/known_hosts]");
  cmd->require_subcommand(1);
  opts->list = cmd->add_subcommand(
      "list", "Print each remembered server as HOST:PORT FINGERPRINT, one per line");
  opts->list->add_option("address", opts->address, "Only this server (exit 1 when it is not there)")
      ->type_name("HOST:PORT");
  opts->remove = cmd->add_subcommand(
      "remove", "Forget a server's key, so the next connect records the key it presents");
  opts->remove->add_option("address", opts->address, "The server, exactly as given to connect")
      ->type_name("HOST:PORT")
      ->required();
  opts->hash = cmd->add_subcommand(
      "hash",
      "Rewrite the plain lines hashed (|1|SALT|HASH), like ssh-keygen -H, so the file no "
      "longer lists the servers; lookups, list ADDRESS and remove still find them");

  return when_parsed(cmd, opts, [](const KnownHostsOptions& options, const Console& console) {
    if (options.list->parsed()) {
      list(options, console);
    } else if (options.remove->parsed()) {
      remove(options, console);
    } else if (options.hash->parsed()) {
      hash(console);
    }
  });
}

}  // namespace cryptochat::cli
