#include "cli/keygen.hpp"

#include <fmt/format.h>

#include <memory>
#include <string>

#include "cli/checks.hpp"
#include "cli/identity.hpp"
#include "cli/non_empty.hpp"
#include "cli/passphrase.hpp"
#include "crypto/key_file.hpp"
#include "crypto/keys.hpp"
#include "crypto/ssh_key.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/paths.hpp"

namespace cryptochat::cli {

namespace {

struct KeygenOptions {
  std::string out;
  long long bits = 3072;  // signed, so "-1" is reported as typed
  bool force = false;
  std::string passphrase_file;
  bool show = false;
  bool ssh = false;
  std::string show_path;
};

void check_bits(long long bits) {
  if (bits < static_cast<long long>(crypto::kMinRsaBits)) {
    throw UsageError(
        fmt::format("--bits {}: RSA keys below {} bits are too weak; use 2048, 3072 or 4096", bits,
                    crypto::kMinRsaBits));
  }
  if (bits != 2048 && bits != 3072 && bits != 4096) {
    throw UsageError(fmt::format("--bits {}: use 2048, 3072 or 4096", bits));
  }
}

void show(const KeygenOptions& opts) {
  const std::string path = opts.show_path.empty() ? default_identity_path() : opts.show_path;
  const PassphraseSource passphrase(opts.passphrase_file);
  const auto key = crypto::load_any_key_file(path, passphrase.provider());
  if (opts.ssh) {
    // The number `ssh-keygen -lf` prints for the same key (another encoding is hashed).
    fmt::print("{} {} {} (RSA, OpenSSH form)\n", key.bits(), crypto::ssh_fingerprint(key.botan()),
               path);
    return;
  }
  fmt::print("{} {} {} (RSA)\n", key.bits(), key.fingerprint(), path);
}

void generate(const KeygenOptions& opts, const Console& console) {
  check_bits(opts.bits);
  const std::string path = opts.out.empty() ? default_identity_path() : opts.out;
  const std::string pub_path = path + ".pub";
  if (!opts.force) {
    for (const auto& p : {path, pub_path}) {
      if (path_exists(p)) {
        throw IoError(fmt::format("'{}' already exists (use --force to overwrite it)", p));
      }
    }
  }
  const PassphraseSource passphrase_source(opts.passphrase_file);
  const Secret passphrase = passphrase_source.for_new_key();

  console.info("generating a {}-bit RSA key...", opts.bits);
  const auto key = crypto::PrivateKey::generate(static_cast<std::size_t>(opts.bits));
  write_key_pair(path, key, passphrase, opts.force);

  fmt::print("Private key: {}{}\n", path, passphrase.empty() ? "" : " (encrypted)");
  fmt::print("Public key:  {}\n", pub_path);
  fmt::print("Fingerprint: {}\n", key.fingerprint());
}

}  // namespace

Command add_keygen(CLI::App& app) {
  auto opts = std::make_shared<KeygenOptions>();
  auto* cmd =
      app.add_subcommand("keygen", "Make an RSA identity key pair, or show a key's fingerprint");
  cmd->add_option("--out,-o", opts->out,
                  "Private key path; the public key goes to PATH.pub "
                  "[default: $XDG_CONFIG_HOME/cryptochat/identity]")
      ->type_name("PATH")
      ->check(kNonEmpty);
  cmd->add_option("--bits,-b", opts->bits, "RSA key size: 2048, 3072 or 4096")
      ->capture_default_str()
      ->type_name("N")
      ->check(checked("--bits", [](const std::string& value) {
        // The size itself is judged by check_bits, with the reason.
        const std::string_view digits =
            std::string_view(value).substr(value.starts_with('-') ? 1 : 0);
        const bool number = !digits.empty() && digits.size() < 19 &&
                            digits.find_first_not_of("0123456789") == std::string_view::npos;
        return number ? std::string() : std::string("not a number; use 2048, 3072 or 4096");
      }));
  cmd->add_flag("--force,-f", opts->force, "Overwrite existing key files");
  cmd->add_option("--passphrase-file", opts->passphrase_file,
                  "Read the passphrase from the first line of FILE (else CRYPTOCHAT_PASSPHRASE, "
                  "else asked at the terminal)")
      ->type_name("FILE")
      ->check(kNonEmpty);
  cmd->add_flag("--show", opts->show,
                "Print the fingerprint of an existing private or public key instead");
  cmd->add_flag("--ssh", opts->ssh,
                "With --show: print the fingerprint ssh-keygen -l shows for the key, not "
                "cryptochat's");
  cmd->add_option("path", opts->show_path, "With --show: the key file [default: the identity]")
      ->type_name("PATH");

  return when_parsed(cmd, opts, [](const KeygenOptions& options, const Console& console) {
    if (options.ssh && !options.show) {
      throw UsageError("--ssh is only taken with --show");
    }
    if (options.show) {
      show(options);
      return;
    }
    if (!options.show_path.empty()) {
      throw UsageError(
          "a key path is only taken with --show; use --out PATH to choose where to write");
    }
    generate(options, console);
  });
}

}  // namespace cryptochat::cli
