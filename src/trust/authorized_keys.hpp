// The server's allow list (`serve --authorized-keys FILE`): the clients whose keys may connect.
// The file holds, in any mix:
//   - PEM "-----BEGIN PUBLIC KEY-----" blocks (SubjectPublicKeyInfo, as `openssl pkey -pubout`
//     writes them);
//   - lines with a "SHA256:..." fingerprint, optionally followed by whitespace and a comment;
//   - OpenSSH public key lines, "ssh-rsa AAAA... comment" (an id_rsa.pub); lines with ssh's
//     options before the key (from=, command=, ...) are refused, since cryptochat cannot apply
//     them and must not admit such a key unrestricted;
//   - '#' comment lines and blank lines.
#pragma once

#include <cstddef>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace cryptochat::trust {

inline constexpr std::size_t kMaxAuthorizedKeys = 10000;
// The longest "ssh-rsa AAAA... comment" line read (other lines: 1024 bytes).
inline constexpr std::size_t kMaxSshLineBytes = 4096;

class AuthorizedKeys {
 public:
  // A missing, unreadable, world-writable, malformed or empty file throws: a server must never
  // start open, or closed to everyone, by mistake.
  static AuthorizedKeys load(const std::string& path);

  [[nodiscard]] bool allows(std::string_view fingerprint) const;

  // The number of distinct keys.
  [[nodiscard]] std::size_t size() const { return fingerprints_.size(); }

 private:
  friend AuthorizedKeys parse_authorized_keys(std::string_view text, const std::string& origin);

  std::set<std::string, std::less<>> fingerprints_;
};

// A running server's allow list, replaced whole when the file is read again (a room's SIGHUP)
// while handshakes on worker threads ask it who may connect.
class SharedAuthorizedKeys {
 public:
  explicit SharedAuthorizedKeys(AuthorizedKeys keys) : keys_(std::move(keys)) {}

  [[nodiscard]] bool allows(std::string_view fingerprint) const {
    const std::lock_guard lock(mutex_);
    return keys_.allows(fingerprint);
  }
  [[nodiscard]] std::size_t size() const {
    const std::lock_guard lock(mutex_);
    return keys_.size();
  }
  void replace(AuthorizedKeys keys) {
    const std::lock_guard lock(mutex_);
    keys_ = std::move(keys);
  }

 private:
  mutable std::mutex mutex_;
  AuthorizedKeys keys_;
};

// Parses the text of an authorized keys file; origin names it in error messages. Throws
// TrustError "<origin>:<line>: ..." on the first bad line or block, or "<origin>: no keys in
// the file", and never anything else for any bytes it is given.
AuthorizedKeys parse_authorized_keys(std::string_view text, const std::string& origin);

}  // namespace cryptochat::trust
