// The decision the client makes when a server presents its key, in the manner of ssh: trust on
// first use, then insist on the same key; a key pinned on the command line overrides both.
#pragma once

#include <optional>
#include <string>

#include "trust/known_hosts.hpp"

namespace cryptochat::trust {

enum class HostVerdict {
  first_contact,  // not seen before: now remembered in known_hosts (the caller says so)
  known_match,    // the key known_hosts remembers for the address
  pinned_match,   // the key given with --peer-fingerprint
};

// Checks presented_fp, the fingerprint of the key the server at address proved it holds.
// With pinned_fp, only the pin counts and known_hosts is neither read nor written. Throws
// AuthError (exit 3) when the key is not the expected one; on first contact the key is saved
// to hosts' file before returning (and IoError/TrustError if that fails).
HostVerdict verify_server(KnownHosts& hosts, const std::string& address,
                          const std::string& presented_fp,
                          const std::optional<std::string>& pinned_fp);

}  // namespace cryptochat::trust
