// The decision the client makes when a server presents its key, in the manner of ssh: trust on
// first use, then insist on the same key; a key pinned on the command line overrides both.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "trust/known_hosts.hpp"

namespace cryptochat::trust {

enum class HostVerdict {
  first_contact,  // not seen before: the caller records it with record_server once the
                  // server proved it holds the key (key confirmation), and says so
  known_match,    // the key known_hosts remembers for the address
  pinned_match,   // the key given with --peer-fingerprint
};

// Checks presented_fp, the fingerprint of the key the server at address presents; connected_to
// is the address actually connected to ("127.0.0.1:5000", "[::1]:5000"; empty: not known).
// With pinned_fp, only the pin counts and known_hosts is not used. Otherwise, as ssh's
// CheckHostIP, both address and connected_to are looked up: a key other than the one recorded
// for either throws AuthError (exit 3), "REMOTE HOST IDENTIFICATION HAS CHANGED", and so does a
// malformed line that names either (it may hold the key that was trusted; see
// KnownHosts::malformed_entry_for). With strict (--strict), an address with no line throws
// AuthError too, instead of being a first contact. Writes nothing: the key is not proven yet.
HostVerdict verify_server(const KnownHosts& hosts, const std::string& address,
                          const std::string& presented_fp,
                          const std::optional<std::string>& pinned_fp,
                          const std::string& connected_to = {}, bool strict = false);

// True when address or connected_to has no entry in hosts yet (record_server would add one).
bool needs_recording(const KnownHosts& hosts, const std::string& address,
                     const std::string& connected_to = {});

// After key confirmation: records presented_fp for address and connected_to (those not yet
// recorded) in the known_hosts file at path, under KnownHostsLock: the file is read again,
// checked again (another client may have recorded a different key meanwhile: AuthError), the
// missing lines are added (hashed, each with its own salt, when hashed is true) and the file is
// replaced atomically (0600). Returns the canonical addresses added (none: the file was not
// written).
std::vector<std::string> record_server(const std::string& path, const std::string& address,
                                       const std::string& presented_fp,
                                       const std::string& connected_to = {}, bool hashed = false);

}  // namespace cryptochat::trust
