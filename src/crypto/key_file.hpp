// Reading keys from files and bytes. Every loader in the program goes through here, so the
// same rules hold everywhere: bounded sizes, RSA only, 2048..8192 bits, private key files
// readable by their owner only, and one clear KeyError for anything else.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/keys.hpp"
#include "util/secret.hpp"

namespace cryptochat::crypto {

inline constexpr std::size_t kMaxKeyFileBytes = std::size_t{64} * 1024;

// Asked for the passphrase of an encrypted key (origin names the key); nullopt when none can be
// had. Only called when the key really is encrypted.
using PassphraseProvider = std::function<std::optional<Secret>(const std::string& origin)>;

// PKCS#8 PEM (plain or encrypted), traditional "RSA PRIVATE KEY" PEM, PKCS#8 DER, or an
// OpenSSH "OPENSSH PRIVATE KEY" (plain or encrypted: crypto/ssh_key.hpp).
PrivateKey parse_private_key(std::string_view bytes, const std::string& origin,
                             const PassphraseProvider& passphrase);

// SubjectPublicKeyInfo PEM or DER, or one OpenSSH "ssh-rsa AAAA... comment" line.
PublicKey parse_public_key(std::string_view bytes, const std::string& origin);

PrivateKey load_private_key_file(const std::string& path, const PassphraseProvider& passphrase);

// For an unencrypted private key file readable by its owner only: the key, its public half read
// at once and the rest (Botan's set-up and the decryption object) made from the same bytes on
// another thread (PrivateKey::deferred). nullopt for anything else (missing, too open,
// encrypted, not a key): load_private_key_file decides on it and reports what is wrong.
std::optional<PrivateKey> start_loading_private_key_file(const std::string& path);

// The public half of whatever key the file holds, private or public.
PublicKey load_any_key_file(const std::string& path, const PassphraseProvider& passphrase);

// The public half (DER SubjectPublicKeyInfo) of an unencrypted private key file's bytes, read
// without building the key: Botan's RSA set-up is what makes loading a key cost milliseconds.
// nullopt for an encrypted key or anything parse_private_key would refuse or has to decide.
std::optional<std::vector<std::uint8_t>> public_half_of_private_key(std::string_view bytes);

// The label of the first PEM block ("PRIVATE KEY", "PUBLIC KEY", ...), or "" when none.
std::string pem_label(std::string_view text);

}  // namespace cryptochat::crypto
