// The identity options serve and connect share (--key, --passphrase-file, --name), loading the
// key, and making the default key on first use.
#pragma once

#include <CLI/App.hpp>

#include <optional>
#include <string>

#include "crypto/keys.hpp"
#include "util/console.hpp"
#include "util/secret.hpp"

namespace cryptochat::cli {

struct IdentityOptions {
  std::string key_path;         // empty: the default identity
  std::string passphrase_file;  // empty: environment or terminal
  std::string name;             // empty: the login name
};

void add_identity_options(CLI::App& cmd, IdentityOptions& opts);

// Loads the identity; where the default key does not exist yet, makes one and says so.
crypto::PrivateKey load_identity(const IdentityOptions& opts, const Console& console);

// crypto::start_loading_private_key_file for the identity key: nullopt when load_identity must
// handle (and report) it.
std::optional<crypto::PrivateKey> start_loading_identity(const IdentityOptions& opts);

// The name shown to peers: --name, else the login name.
std::string display_name(const IdentityOptions& opts);

// Writes a key pair (PATH and PATH.pub) as keygen does: private 0600, public 0644, both staged
// before either is put in place, folders made 0700.
void write_key_pair(const std::string& path, const crypto::PrivateKey& key,
                    const Secret& passphrase, bool force);

}  // namespace cryptochat::cli
