#include "trust/check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "util/error.hpp"

namespace cryptochat::trust {

namespace {

// The address as a word a shell takes as it is: "[::1]:5000" would otherwise be a glob.
std::string shell_word(std::string_view address) {
  const bool plain = std::ranges::all_of(address, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == ':' || c == '-' || c == '_';
  });
  if (plain && !address.empty()) {
    return std::string(address);
  }
  std::string quoted = "'";
  for (const char c : address) {
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return quoted + "'";
}

[[noreturn]] void changed(const KnownHosts& hosts, const std::string& address,
                          const std::string& recorded_as, const std::string& known,
                          const std::string& presented_fp) {
  // ssh's wording, on one line because the program prints every error as one line.
  const bool same = recorded_as == canonical_address(address);
  const std::string where = same ? address : fmt::format("{} (at {})", address, recorded_as);
  throw AuthError(fmt::format(
      "REMOTE HOST IDENTIFICATION HAS CHANGED for {}: expected {}, got {}; someone may be "
      "intercepting the connection, or the server's key was replaced. If you trust the new "
      "key, remove the old one from {} with: cryptochat known-hosts remove {} (or connect "
      "with --peer-fingerprint {})",
      where, known, presented_fp, hosts.path(), shell_word(same ? address : recorded_as),
      presented_fp));
}

// A line for the server that cannot be read may be the one that held its trusted key: the
// server is refused rather than met as a first contact (or checked against an older line).
void check_readable(const KnownHosts& hosts, const std::string& address,
                    const std::string& presented_fp, const std::string& one) {
  const auto bad = hosts.malformed_entry_for(one);
  if (!bad) {
    return;
  }
  throw AuthError(fmt::format(
      "{}:{}: the known_hosts line for {} is malformed ({}), so the key {} that {} presents "
      "cannot be checked against it; fix that line, or remove it with: cryptochat known-hosts "
      "remove {}",
      hosts.path(), bad->line, canonical_address(one), bad->malformed, presented_fp, address,
      shell_word(canonical_address(one))));
}

void check_known(const KnownHosts& hosts, const std::string& address,
                 const std::string& presented_fp, const std::string& connected_to) {
  check_readable(hosts, address, presented_fp, address);
  if (!connected_to.empty()) {
    check_readable(hosts, address, presented_fp, connected_to);
  }
  if (const auto known = hosts.lookup(address); known && *known != presented_fp) {
    changed(hosts, address, canonical_address(address), *known, presented_fp);
  }
  if (!connected_to.empty()) {
    if (const auto known = hosts.lookup(connected_to); known && *known != presented_fp) {
      changed(hosts, address, canonical_address(connected_to), *known, presented_fp);
    }
  }
}

}  // namespace

HostVerdict verify_server(const KnownHosts& hosts, const std::string& address,
                          const std::string& presented_fp,
                          const std::optional<std::string>& pinned_fp,
                          const std::string& connected_to, bool strict) {
  if (pinned_fp) {
    if (presented_fp == *pinned_fp) {
      return HostVerdict::pinned_match;
    }
    throw AuthError(
        fmt::format("the server at {} presented key {}, not the pinned {} (--peer-fingerprint)",
                    address, presented_fp, *pinned_fp));
  }
  check_known(hosts, address, presented_fp, connected_to);
  if (hosts.lookup(address)) {
    return HostVerdict::known_match;
  }
  if (strict) {
    // ssh's StrictHostKeyChecking=yes: called at the SERVER_HELLO, so the client sends the
    // server nothing but the distrust alert.
    throw AuthError(fmt::format(
        "{} is not in {} and --strict refuses unknown keys: it presents {}; check that "
        "fingerprint with the server's operator, then connect once without --strict (or with "
        "--peer-fingerprint {})",
        address, hosts.path(), presented_fp, presented_fp));
  }
  return HostVerdict::first_contact;
}

bool needs_recording(const KnownHosts& hosts, const std::string& address,
                     const std::string& connected_to) {
  return !hosts.lookup(address) || (!connected_to.empty() && !hosts.lookup(connected_to));
}

std::vector<std::string> record_server(const std::string& path, const std::string& address,
                                       const std::string& presented_fp,
                                       const std::string& connected_to, bool hashed) {
  const KnownHostsLock lock(path);
  KnownHosts hosts = KnownHosts::load(path);
  check_known(hosts, address, presented_fp, connected_to);
  std::vector<std::string> added;
  for (const std::string* one : {&address, &connected_to}) {
    if (!one->empty() && !hosts.lookup(*one)) {
      hosts.set(*one, presented_fp, hashed);
      added.push_back(canonical_address(*one));
    }
  }
  if (!added.empty()) {
    hosts.save();
  }
  return added;
}

}  // namespace cryptochat::trust
