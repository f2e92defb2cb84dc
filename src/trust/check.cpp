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

void check_known(const KnownHosts& hosts, const std::string& address,
                 const std::string& presented_fp, const std::string& connected_to) {
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
                          const std::string& connected_to) {
  if (pinned_fp) {
    if (presented_fp == *pinned_fp) {
      return HostVerdict::pinned_match;
    }
    throw AuthError(
        fmt::format("the server at {} presented key {}, not the pinned {} (--peer-fingerprint)",
                    address, presented_fp, *pinned_fp));
  }
  check_known(hosts, address, presented_fp, connected_to);
  return hosts.lookup(address) ? HostVerdict::known_match : HostVerdict::first_contact;
}

bool needs_recording(const KnownHosts& hosts, const std::string& address,
                     const std::string& connected_to) {
  return !hosts.lookup(address) || (!connected_to.empty() && !hosts.lookup(connected_to));
}

std::vector<std::string> record_server(const std::string& path, const std::string& address,
                                       const std::string& presented_fp,
                                       const std::string& connected_to) {
  const KnownHostsLock lock(path);
  KnownHosts hosts = KnownHosts::load(path);
  check_known(hosts, address, presented_fp, connected_to);
  std::vector<std::string> added;
  for (const std::string* one : {&address, &connected_to}) {
    if (!one->empty() && !hosts.lookup(*one)) {
      hosts.set(*one, presented_fp);
      added.push_back(canonical_address(*one));
    }
  }
  if (!added.empty()) {
    hosts.save();
  }
  return added;
}

}  // namespace cryptochat::trust
