// The client's memory of server keys, like ssh's known_hosts: one line per server,
//   ADDRESS SHA256:<43 base64 characters>
// where ADDRESS is HOST:PORT ("example.org:5000", "[::1]:5000"), or that address hashed as
// ssh's HashKnownHosts does: "|1|" base64(salt) "|" base64(HMAC-SHA1(salt, canonical address)),
// so the file does not list whom its owner talks to. Addresses are compared in their canonical
// form (canonical_address), and new lines are written in it; lines written by older versions
// (the address as typed) are read as before. Blank lines and lines starting with '#' are
// ignored, and kept as they were when the file is saved again. So is a malformed line: it is
// skipped for every other server (ssh's way), but a server that it still names (its first field
// reads as that server's address, plain or hashed) cannot be checked against it, and the check
// (trust/check.hpp) refuses that server instead of taking it as a first contact.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cryptochat::trust {

inline constexpr std::size_t kMaxAddressBytes = 300;
// ssh's: the salt and the HMAC-SHA1 of a hashed address are 20 bytes each.
inline constexpr std::size_t kHashedAddressBytes = 20;

// $XDG_CONFIG_HOME/cryptochat/known_hosts (or ~/.config/cryptochat/known_hosts).
std::string default_known_hosts_path();

// The form in which addresses are compared and recorded: the host ASCII-lowercased with one
// trailing dot dropped, the port as a decimal number without leading zeros, an IPv4 literal in
// dotted-quad form as inet_aton reads it (what the resolver connects to: "127.1" and
// "0x7f.0.0.1" are 127.0.0.1), an IPv6 literal in brackets in RFC 5952 form (inet_ntop), and a
// v4-mapped IPv6 literal ("[::ffff:127.0.0.1]") as its IPv4 address. Text that is not HOST:PORT
// with a port 1..65535 is returned unchanged.
std::string canonical_address(std::string_view address);

// True when address can be stored in a known_hosts line as a plain address: 1..300 bytes, no
// whitespace, no control characters, and not starting with '#' (which would read back as a
// comment) or '|' (which would read back as a hashed address).
bool is_storable_address(std::string_view address);

// The address field of a hashed line for address: "|1|" base64(salt) "|" base64(HMAC-SHA1(salt,
// canonical_address(address))), standard base64 with padding, as ssh writes it. salt must be
// kHashedAddressBytes long (hashed_address(address) draws a fresh one).
std::string hashed_address(std::string_view address, const std::vector<std::uint8_t>& salt);
std::string hashed_address(std::string_view address);

// One line of a known_hosts file that names a server.
struct KnownHostEntry {
  std::size_t line = 0;     // 1-based, as read (0 for one made by set() and not yet saved)
  std::string address;      // the first field as written: HOST:PORT, or |1|SALT|HASH
  std::string fingerprint;  // empty for a malformed line
  bool hashed = false;
  std::string malformed;  // why the line cannot be used; empty for a well-formed one
};

class KnownHosts {
 public:
  // An empty memory that save() writes to path.
  explicit KnownHosts(std::string path);

  // A missing file is an empty memory; an unreadable or oversized one, or one that fails
  // FileRule::trusted, throws IoError. Malformed lines do not throw: see malformed().
  static KnownHosts load(const std::string& path);

  // The fingerprint remembered for address (both compared in canonical form, a hashed line by
  // its hash of the canonical form); with duplicate lines the last one wins. Malformed lines
  // are skipped.
  [[nodiscard]] std::optional<std::string> lookup(std::string_view address) const;

  // The first malformed line whose first field names address (in canonical form, or by hash),
  // if any: that server cannot be checked against the file as it is.
  [[nodiscard]] std::optional<KnownHostEntry> malformed_entry_for(std::string_view address) const;

  // The malformed lines, in file order.
  [[nodiscard]] std::vector<KnownHostEntry> malformed() const;

  // One warning per malformed line: "PATH:LINE: malformed known_hosts entry (WHY), skipped".
  [[nodiscard]] std::vector<std::string> malformed_warnings() const;

  // Adds the address (in canonical form; hashed, with a fresh salt, when hashed is true), or
  // replaces every well-formed line of it, plain or hashed, with one line at the place of the
  // first. Throws TrustError when the address or fingerprint cannot be stored.
  void set(std::string address, std::string fingerprint, bool hashed = false);

  // Rewrites every well-formed plain line as a hashed line of the same address and key, each
  // with its own salt (`known-hosts hash`, like ssh-keygen -H); the other lines are kept as
  // they are. Returns how many lines were hashed.
  std::size_t hash_plain_lines();

  // Writes the file atomically with mode 0600, creating its folder (0700) when missing. An
  // existing file that fails FileRule::trusted is not replaced (IoError, read_file's message).
  void save() const;

  // The well-formed server lines in file order (duplicates included), for `known-hosts list`.
  [[nodiscard]] std::vector<KnownHostEntry> entries() const;

  // The lines, well-formed or not, whose first field names address (plain or hashed).
  [[nodiscard]] std::vector<KnownHostEntry> entries_for(std::string_view address) const;

  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  friend KnownHosts parse_known_hosts(std::string_view text, const std::string& path);

  struct Line {
    std::size_t number = 0;          // as read; 0 when made by set()
    std::string text;                // as read (without its line end), or as made by set()
    std::string address;             // the first field; empty for blank and comment lines
    std::string fingerprint;         // empty for blank, comment and malformed lines
    std::string key;                 // canonical_address(address) of a plain address; else empty
    std::vector<std::uint8_t> salt;  // of a hashed address (else empty)
    std::vector<std::uint8_t> hash;  // of a hashed address (else empty)
    std::string malformed;           // why the line is malformed; empty when it is not

    [[nodiscard]] bool names(const std::string& canonical) const;
    [[nodiscard]] bool usable() const { return malformed.empty() && !fingerprint.empty(); }
    [[nodiscard]] KnownHostEntry entry() const;
  };

  std::string path_;
  std::vector<Line> lines_;
};

// Parses known_hosts text; path names it in messages and is where save() writes. A malformed
// line is kept (see KnownHosts::malformed()); only a text over 1 MiB throws TrustError, and
// nothing else is thrown for any bytes it is given.
KnownHosts parse_known_hosts(std::string_view text, const std::string& path);

// `known-hosts remove`: under KnownHostsLock, takes every line that names address (compared in
// canonical form or by hash, as lookup() does; malformed lines that name it included) out of
// the known_hosts file at path, keeping every other byte of the file as it was (comments,
// blank lines, other malformed lines, line ends). The file is read under FileRule::trusted and
// rewritten atomically (0600) only when something was removed; a missing file has nothing to
// remove. Returns the lines removed.
std::vector<KnownHostEntry> remove_known_host(const std::string& path, std::string_view address);

// `known-hosts hash`: under KnownHostsLock, rewrites the file at path with its plain lines
// hashed (KnownHosts::hash_plain_lines), atomically, when there was any. Returns the number of
// lines hashed.
std::size_t hash_known_hosts(const std::string& path);

// Holds an exclusive flock on "<path>.lock" (created 0600, with its folder 0700, when missing)
// for its lifetime: every read-modify-write of the known_hosts file at path happens under it,
// so two clients recording first contacts at once both keep theirs. A lock file that is not a
// regular file or fails FileRule::trusted is refused (IoError): whoever can write it could
// hold the lock.
class KnownHostsLock {
 public:
  explicit KnownHostsLock(const std::string& path);
  ~KnownHostsLock();
  KnownHostsLock(const KnownHostsLock&) = delete;
  KnownHostsLock& operator=(const KnownHostsLock&) = delete;
  KnownHostsLock(KnownHostsLock&&) = delete;
  KnownHostsLock& operator=(KnownHostsLock&&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace cryptochat::trust
