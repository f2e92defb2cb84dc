#include "cli/identity.hpp"

#include <pwd.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cstdlib>

#include "cli/non_empty.hpp"
#include "cli/passphrase.hpp"
#include "crypto/key_file.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/paths.hpp"
#include "util/text.hpp"
#include "wire/handshake_messages.hpp"

namespace cryptochat::cli {

namespace {
constexpr std::size_t kDefaultBits = 3072;
}  // namespace

void add_identity_options(CLI::App& cmd, IdentityOptions& opts) {
  cmd.add_option("--key,-k", opts.key_path,
                 "Identity private key [default: $XDG_CONFIG_HOME/cryptochat/identity, made on "
                 "first use]")
      ->type_name("PATH")
      ->check(kNonEmpty);
  cmd.add_option("--passphrase-file", opts.passphrase_file,
                 "Read the key's passphrase from the first line of FILE")
      ->type_name("FILE")
      ->check(kNonEmpty);
  cmd.add_option("--name,-n", opts.name, "Name shown to the peer [default: login name]")
      ->type_name("NAME")
      ->check([](const std::string& name) -> std::string {
        if (name.empty() || name.size() > wire::kMaxNameSize) {
          return fmt::format("a name has 1 to {} bytes", wire::kMaxNameSize);
        }
        for (const char c : name) {
          if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
            return "a name cannot hold control characters";
          }
        }
        // The rule a room applies (PROTOCOL.md section 9); what it only strips is allowed.
        if (const auto problem = normalise_name(name).problem; !problem.empty()) {
          return "a name is refused when " + problem;
        }
        return {};
      });
}

void write_key_pair(const std::string& path, const crypto::PrivateKey& key,
                    const Secret& passphrase, bool force) {
  const Secret private_pem = key.pkcs8_pem(passphrase);
  make_private_dirs(parent_dir(path));
  // Both files are written in full before either is put in place, and the public key goes
  // first: a .pub that cannot be replaced stops the run before the private key is touched.
  StagedFile private_file(path, private_pem.view(), 0600);
  StagedFile public_file(path + ".pub", key.public_key().spki_pem(), 0644);
  public_file.commit(force);
  private_file.commit(force);
}

crypto::PrivateKey load_identity(const IdentityOptions& opts, const Console& console) {
  const PassphraseSource passphrase(opts.passphrase_file);
  if (!opts.key_path.empty()) {
    return crypto::load_private_key_file(opts.key_path, passphrase.provider());
  }
  const std::string path = default_identity_path();
  if (!path_exists(path)) {
    // Like sshd's host keys: a first run works without a separate keygen step. A passphrase is
    // used only when one was given without asking (file or environment).
    console.info("no identity yet: making a {}-bit RSA key at {}", kDefaultBits, path);
    auto key = crypto::PrivateKey::generate(kDefaultBits);
    const Secret pass = passphrase.non_interactive().value_or(Secret{});
    write_key_pair(path, key, pass, false);
    console.info("your fingerprint: {}", key.fingerprint());
    return key;
  }
  return crypto::load_private_key_file(path, passphrase.provider());
}

std::optional<crypto::PrivateKey> start_loading_identity(const IdentityOptions& opts) {
  // A missing default key is made by load_identity; a too-open file is refused there, before
  // anything is sent.
  return crypto::start_loading_private_key_file(opts.key_path.empty() ? default_identity_path()
                                                                      : opts.key_path);
}

std::string display_name(const IdentityOptions& opts) {
  if (!opts.name.empty()) {
    return opts.name;
  }
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read before any thread starts.
  if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_name != nullptr) {
    return std::string(pw->pw_name).substr(0, wire::kMaxNameSize);
  }
  return "anonymous";
}

}  // namespace cryptochat::cli
