// The client's memory of server keys, like ssh's known_hosts: one line per server,
//   ADDRESS SHA256:<43 base64 characters>
// where ADDRESS is HOST:PORT ("example.org:5000", "[::1]:5000"). Addresses are compared in their
// canonical form (canonical_address), and new lines are written in it; lines written by older
// versions (the address as typed) are read as before. Blank lines and lines starting with '#'
// are ignored, and kept as they were when the file is saved again.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cryptochat::trust {

inline constexpr std::size_t kMaxAddressBytes = 300;

// $XDG_CONFIG_HOME/cryptochat/known_hosts (or ~/.config/cryptochat/known_hosts).
std::string default_known_hosts_path();

// The form in which addresses are compared and recorded: the host ASCII-lowercased with one
// trailing dot dropped, the port as a decimal number without leading zeros, an IPv4 literal in
// dotted-quad form as inet_aton reads it (what the resolver connects to: "127.1" and
// "0x7f.0.0.1" are 127.0.0.1), an IPv6 literal in brackets in RFC 5952 form (inet_ntop), and a
// v4-mapped IPv6 literal ("[::ffff:127.0.0.1]") as its IPv4 address. Text that is not HOST:PORT
// with a port 1..65535 is returned unchanged.
std::string canonical_address(std::string_view address);

// True when address can be stored in a known_hosts line: 1..300 bytes, no whitespace, no
// control characters, and not starting with '#' (which would read back as a comment).
bool is_storable_address(std::string_view address);

// One line of a known_hosts file that names a server.
struct KnownHostEntry {
  std::size_t line = 0;  // 1-based, as read (0 for one made by set() and not yet saved)
  std::string address;
  std::string fingerprint;
};

class KnownHosts {
 public:
  // An empty memory that save() writes to path.
  explicit KnownHosts(std::string path);

  // A missing file is an empty memory; a malformed one throws TrustError (and an unreadable or
  // oversized one IoError), since silently ignoring a line could forget a key that was trusted.
  static KnownHosts load(const std::string& path);

  // The fingerprint remembered for address (both compared in canonical form); with duplicate
  // lines the last one wins.
  [[nodiscard]] std::optional<std::string> lookup(std::string_view address) const;

  // Adds the address (in canonical form), or replaces every line of it with one line at the
  // place of the first.
  // Throws TrustError when the address or fingerprint cannot be stored.
  void set(std::string address, std::string fingerprint);

  // Writes the file atomically with mode 0600, creating its folder (0700) when missing.
  void save() const;

  // The server lines in file order (duplicates included), for `known-hosts list`.
  [[nodiscard]] std::vector<KnownHostEntry> entries() const;

  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  friend KnownHosts parse_known_hosts(std::string_view text, const std::string& path);

  // `known-hosts remove`: takes every line of address out of the known_hosts file at path (the
  // address compared byte for byte, as lookup() does), keeping every other byte of the file as it
  // was (comments, blank lines, line ends). The file is rewritten atomically (0600) only when
  // something was removed; a missing file has nothing to remove. Throws what load() throws, and
  // then the file is left alone. Returns the lines removed.
  std::vector<KnownHostEntry> remove_known_host(const std::string& path, std::string_view address);

  struct Line {
    std::size_t number = 0;   // as read; 0 when made by set()
    std::string text;         // as read (without its line end), or as made by set()
    std::string address;      // empty for blank and comment lines
    std::string fingerprint;  // empty for blank and comment lines
    std::string key;          // canonical_address(address); empty for blank and comment lines
  };

  std::string path_;
  std::vector<Line> lines_;
};

// Parses known_hosts text; path names it in error messages and is where save() writes. Throws
// TrustError "<path>:<line>: malformed known_hosts entry ..." on the first bad line, and never
// anything else for any bytes it is given.
KnownHosts parse_known_hosts(std::string_view text, const std::string& path);

// `known-hosts remove`: takes every line of address out of the known_hosts file at path (the
// address compared in canonical form, as lookup() does), keeping every other byte of the file as
// it was (comments, blank lines, line ends). The file is rewritten atomically (0600) only when
// something was removed; a missing file has nothing to remove. Throws what load() throws, and
// then the file is left alone. Returns the lines removed.
std::vector<KnownHostEntry> remove_known_host(const std::string& path, std::string_view address);

// Holds an exclusive flock on "<path>.lock" (created 0600, with its folder 0700, when missing)
// for its lifetime: every read-modify-write of the known_hosts file at path happens under it,
// so two clients recording first contacts at once both keep theirs.
class KnownHostsLock {
 public:
  explicit KnownHostsLock(const std::string& path);
  ~KnownHostsLock();
  KnownHostsLock(const KnownHostsLock&) = delete;
  KnownHostsLock& operator=(const KnownHostsLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace cryptochat::trust
