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

}  // namespace

HostVerdict verify_server(KnownHosts& hosts, const std::string& address,
                          const std::string& presented_fp,
                          const std::optional<std::string>& pinned_fp) {
  if (pinned_fp) {
    if (presented_fp == *pinned_fp) {
      return HostVerdict::pinned_match;
    }
    throw AuthError(
        fmt::format("the server at {} presented key {}, not the pinned {} (--peer-fingerprint)",
                    address, presented_fp, *pinned_fp));
  }
  if (const auto known = hosts.lookup(address)) {
    if (presented_fp == *known) {
      return HostVerdict::known_match;
    }
    // ssh's wording, on one line because the program prints every error as one line.
    throw AuthError(fmt::format(
        "REMOTE HOST IDENTIFICATION HAS CHANGED for {}: expected {}, got {}; someone may be "
        "intercepting the connection, or the server's key was replaced. If you trust the new "
        "key, remove the old one from {} with: cryptochat known-hosts remove {} (or connect "
        "with --peer-fingerprint {})",
        address, *known, presented_fp, hosts.path(), shell_word(address), presented_fp));
  }
  hosts.set(address, presented_fp);
  hosts.save();
  return HostVerdict::first_contact;
}

}  // namespace cryptochat::trust
