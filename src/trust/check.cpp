#include "trust/check.hpp"

#include <fmt/format.h>

#include "util/error.hpp"

namespace cryptochat::trust {

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
        "key, remove the line for {} from {} (or connect with --peer-fingerprint {})",
        address, *known, presented_fp, address, hosts.path(), presented_fp));
  }
  hosts.set(address, presented_fp);
  hosts.save();
  return HostVerdict::first_contact;
}

}  // namespace cryptochat::trust
