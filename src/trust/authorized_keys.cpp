#include "trust/authorized_keys.hpp"

#include <fmt/format.h>

#include "crypto/fingerprint.hpp"
#include "crypto/key_file.hpp"
#include "crypto/ssh_key.hpp"
#include "trust/lines.hpp"
#include "trust/trust_error.hpp"
#include "util/file.hpp"

namespace cryptochat::trust {

namespace {

constexpr std::string_view kPemBegin = "-----BEGIN PUBLIC KEY-----";
constexpr std::string_view kPemEnd = "-----END PUBLIC KEY-----";
constexpr std::string_view kPemDashes = "-----";

[[noreturn]] void bad_line(const std::string& origin, std::size_t line, std::string_view why) {
  throw TrustError(fmt::format("{}:{}: {}", origin, line, why));
}

// Why a PEM block other than a public key is refused; a private key gets its own warning since
// it should not be lying in a file the server reads.
std::string wrong_block(std::string_view trimmed) {
  if (!trimmed.starts_with("-----BEGIN ")) {
    return "a PEM line outside any -----BEGIN PUBLIC KEY----- block";
  }
  const std::string label = crypto::pem_label(trimmed);
  if (label.find("PRIVATE KEY") != std::string::npos) {
    return "a private key does not belong in the allow list; put the public key or its "
           "fingerprint there instead";
  }
  return "only -----BEGIN PUBLIC KEY----- blocks are accepted (SubjectPublicKeyInfo PEM)";
}

// Reads the PEM block whose BEGIN line is `begin`, up to and including its END line, and
// returns the fingerprint of the key in it.
std::string read_pem_block(detail::LineReader& reader, const detail::Line& begin,
                           const std::string& origin) {
  // Rebuilt from trimmed lines so indentation or "\r\n" line ends do not reach the decoder.
  std::string block(kPemBegin);
  block += '\n';
  while (true) {
    const auto line = reader.next();
    if (!line) {
      bad_line(origin, begin.number, "the PEM block has no -----END PUBLIC KEY----- line");
    }
    const std::string_view text = detail::trim(line->text);
    block += text;
    block += '\n';
    if (block.size() > crypto::kMaxKeyFileBytes) {
      bad_line(origin, begin.number, "the PEM block is larger than any public key");
    }
    if (text == kPemEnd) {
      break;
    }
    if (text.starts_with(kPemDashes)) {
      bad_line(origin, line->number, "unexpected PEM line inside a public key block");
    }
  }
  const std::string where = fmt::format("{}:{}", origin, begin.number);
  try {
    return crypto::parse_public_key(block, where).fingerprint();
  } catch (const Error& e) {
    throw TrustError(e.what());  // already "<origin>:<line>: why"
  } catch (const std::exception&) {
    // parse_public_key reports bad keys as KeyError; anything else from the decoder still means
    // the block is not a usable key, and a fuzzed input must not escape as another type.
    throw TrustError(fmt::format("{}: not a valid public key", where));
  }
}

// The fingerprint of the key in an OpenSSH "ssh-rsa AAAA... comment" line.
std::string read_ssh_line(std::string_view line, std::size_t number, const std::string& origin) {
  const std::string where = fmt::format("{}:{}", origin, number);
  try {
    return crypto::parse_ssh_public_key(line, where).fingerprint();
  } catch (const Error& e) {
    throw TrustError(e.what());  // already "<origin>:<line>: why"
  } catch (const std::exception&) {
    throw TrustError(fmt::format("{}: not a valid public key", where));
  }
}

// True when a later field of the line is an ssh key type: an authorized_keys line of ssh with
// options (from=, command=, ...) before the key.
bool has_ssh_options(std::string_view rest) {
  for (int field = 0; field < 64 && !rest.empty(); ++field) {
    if (crypto::is_ssh_key_type(detail::take_field(rest))) {
      return true;
    }
  }
  return false;
}

}  // namespace

AuthorizedKeys parse_authorized_keys(std::string_view text, const std::string& origin) {
  if (text.size() > detail::kMaxTrustFileBytes) {
    throw TrustError(fmt::format("{}: larger than {} bytes; not an authorized keys file", origin,
                                 detail::kMaxTrustFileBytes));
  }
  AuthorizedKeys keys;
  std::size_t entries = 0;  // duplicates included: the bound is on the work, not the result
  detail::LineReader reader(text);
  while (const auto line = reader.next()) {
    std::string_view rest = detail::trim(line->text);
    // An 8192-bit key's ssh-rsa line is about 1400 bytes before its comment.
    const std::size_t max_line =
        crypto::looks_like_ssh_public_key(rest) ? kMaxSshLineBytes : detail::kMaxLineBytes;
    if (line->text.size() > max_line) {
      bad_line(origin, line->number, fmt::format("the line is longer than {} bytes", max_line));
    }
    if (detail::is_ignorable(rest)) {
      continue;
    }
    if (++entries > kMaxAuthorizedKeys) {
      bad_line(origin, line->number, fmt::format("more than {} keys", kMaxAuthorizedKeys));
    }
    if (rest == kPemBegin) {
      keys.fingerprints_.insert(read_pem_block(reader, *line, origin));
      continue;
    }
    if (rest.starts_with(kPemDashes)) {
      bad_line(origin, line->number, wrong_block(rest));
    }
    if (crypto::looks_like_ssh_public_key(rest)) {
      keys.fingerprints_.insert(read_ssh_line(rest, line->number, origin));
      continue;
    }
    const std::string_view fingerprint = detail::take_field(rest);
    if (!crypto::looks_like_fingerprint(fingerprint) && has_ssh_options(rest)) {
      // Read as a plain key, a line ssh restricts (from=, command=, no-pty, ...) would admit
      // its key unrestricted; cryptochat applies no options, so the line is refused.
      bad_line(origin, line->number,
               "the key has ssh options before it (from=, command=, ...), which cryptochat "
               "cannot apply; give the key without them if it may connect unrestricted");
    }
    if (!crypto::looks_like_fingerprint(fingerprint)) {
      bad_line(origin, line->number,
               fingerprint.starts_with("SHA256:")
                   ? "malformed fingerprint (SHA256: and 43 base64 characters are expected)"
                   : "expected a SHA256: fingerprint, an ssh-rsa key line, a -----BEGIN PUBLIC "
                     "KEY----- block or a # comment");
    }
    // Whatever follows the fingerprint is a free comment (a name, say).
    keys.fingerprints_.emplace(fingerprint);
  }
  if (keys.fingerprints_.empty()) {
    throw TrustError(fmt::format(
        "{}: no keys in the file; a server with an empty allow list would admit nobody", origin));
  }
  return keys;
}

AuthorizedKeys AuthorizedKeys::load(const std::string& path) {
  // Anyone who can write the file can let themselves in (FileRule::trusted).
  const FileContents file =
      read_file(path, detail::kMaxTrustFileBytes, "authorized keys file", FileRule::trusted);
  return parse_authorized_keys(file.bytes, path);
}

bool AuthorizedKeys::allows(std::string_view fingerprint) const {
  return fingerprints_.contains(fingerprint);
}

}  // namespace cryptochat::trust
