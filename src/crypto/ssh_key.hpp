// OpenSSH's key formats, so an RSA key made with ssh-keygen can be used as it is:
//   - public key lines, "ssh-rsa AAAA... comment" (id_rsa.pub, authorized_keys);
//   - private keys "-----BEGIN OPENSSH PRIVATE KEY-----" (openssh-key-v1, PROTOCOL.key in
//     OpenSSH's sources), unencrypted or encrypted with bcrypt-pbkdf + aes{128,192,256}-ctr;
//   - the fingerprint `ssh-keygen -l` shows: SHA-256 over the key's ssh wire encoding.
// Every length field is bounded before anything is allocated for it; other key types than RSA
// are named in one clear KeyError.
#pragma once

#include <botan/rsa.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/key_file.hpp"
#include "crypto/keys.hpp"

namespace cryptochat::crypto {

inline constexpr std::string_view kOpensshPrivateLabel = "OPENSSH PRIVATE KEY";
// ssh-keygen uses 16 rounds (-a); about 8 ms each. More than this is refused before any
// derivation, as for PBKDF2 and scrypt (key_encryption_cost.hpp).
inline constexpr std::uint32_t kMaxBcryptRounds = 500;

// True when the text (leading blanks skipped) starts with the type of an OpenSSH public key:
// "ssh-", "ecdsa-sha2-" or "sk-".
bool looks_like_ssh_public_key(std::string_view text);

// True when field is the name of an OpenSSH key type ("ssh-rsa", "ssh-ed25519",
// "ecdsa-sha2-nistp256", "sk-ssh-ed25519@openssh.com", ...).
bool is_ssh_key_type(std::string_view field);

// One "TYPE BASE64 [COMMENT]" line (leading and trailing blanks and one line end allowed).
// Throws KeyError "<origin>: ..." unless it is an RSA key of an accepted size.
PublicKey parse_ssh_public_key(std::string_view line, const std::string& origin);

// "openssh-key-v1" PEM text. The passphrase is asked only when the key is encrypted, and only
// once the key is known to be RSA. The RSA values are checked against the public key the file
// also holds; the caller checks the size and their consistency (parse_private_key does).
std::unique_ptr<Botan::RSA_PrivateKey> decode_openssh_private_key(
    std::string_view text, const std::string& origin, const PassphraseProvider& passphrase);

struct RsaPublicNumbers {
  Botan::BigInt n;
  Botan::BigInt e;
};

// The RSA public key an unencrypted "openssh-key-v1" file holds next to its private key, read
// without touching the private part; nullopt for anything else (encrypted, not RSA, not an
// accepted size, malformed). decode_openssh_private_key checks that the two match.
std::optional<RsaPublicNumbers> openssh_unencrypted_public_key(std::string_view text);

// The ssh wire encoding of an RSA public key: string "ssh-rsa", mpint e, mpint n.
std::vector<std::uint8_t> ssh_rsa_blob(const Botan::BigInt& n, const Botan::BigInt& e);

// "SHA256:" and the unpadded base64 of SHA-256 over ssh_rsa_blob: what `ssh-keygen -lf` prints
// for the key. Not the fingerprint of the protocol (crypto/fingerprint.hpp), which hashes the
// SubjectPublicKeyInfo instead.
std::string ssh_fingerprint(const Botan::RSA_PublicKey& key);

}  // namespace cryptochat::crypto
