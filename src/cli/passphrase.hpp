// Where passphrases come from: --passphrase-file, then CRYPTOCHAT_PASSPHRASE, then a prompt
// without echo when stdin is a terminal. Never from a command-line value.
#pragma once

#include <optional>
#include <string>

#include "crypto/key_file.hpp"
#include "util/secret.hpp"

namespace cryptochat::cli {

inline constexpr const char* kPassphraseEnv = "CRYPTOCHAT_PASSPHRASE";

class PassphraseSource {
 public:
  // passphrase_file: the --passphrase-file value, empty when not given.
  explicit PassphraseSource(std::string passphrase_file);

  // For a new key: the file or environment passphrase, else asked twice at a terminal;
  // empty means the key is stored unencrypted.
  [[nodiscard]] Secret for_new_key() const;

  // For an encrypted key being loaded.
  [[nodiscard]] crypto::PassphraseProvider provider() const;

  // The file or environment passphrase, without asking anyone.
  [[nodiscard]] std::optional<Secret> non_interactive() const;

 private:
  std::string file_;
};

}  // namespace cryptochat::cli
