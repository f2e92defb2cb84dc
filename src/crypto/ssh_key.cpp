#include "crypto/ssh_key.hpp"

#include <botan/base64.h>
#include <botan/data_src.h>
#include <botan/hash.h>
#include <botan/pem.h>
#include <botan/pwdhash.h>
#include <botan/stream_cipher.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <span>

#include "crypto/fingerprint.hpp"
#include "util/error.hpp"
#include "util/text.hpp"
#include "wire/bytes.hpp"

namespace cryptochat::crypto {

namespace {

constexpr std::string_view kRsaType = "ssh-rsa";
constexpr std::string_view kMagic{"openssh-key-v1\0", 15};
constexpr std::size_t kMaxTypeBytes = 64;
// An 8192-bit modulus is 1024 bytes, and one more for the zero an mpint puts before a high bit.
constexpr std::size_t kMaxModulusBytes = kMaxRsaBits / 8 + 1;
constexpr std::size_t kMaxExponentBytes = 16;
constexpr std::size_t kMaxPublicBlobBytes =
    4 + kMaxTypeBytes + 4 + kMaxExponentBytes + 4 + kMaxModulusBytes;
constexpr std::size_t kMaxKdfOptionsBytes = 256;
constexpr std::size_t kMaxSaltBytes = 64;
constexpr std::size_t kMaxCommentBytes = 4096;
constexpr std::size_t kAesBlock = 16;
constexpr std::size_t kPlainBlock = 8;

std::string_view trim(std::string_view text) {
  while (!text.empty() && (is_blank(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (is_blank(text.back()) || text.back() == '\n' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

[[noreturn]] void not_rsa(const std::string& origin, std::string_view type) {
  if (type.ends_with("-cert-v01@openssh.com")) {
    throw KeyError(fmt::format(
        "{}: this is an OpenSSH certificate; give cryptochat the RSA key itself (id_rsa.pub)",
        origin));
  }
  // The type comes from the file: named only when it is a plausible type name.
  const std::string name = is_ssh_key_type(type) ? fmt::format("an {} key", type)
                                                 : std::string("a key of an unknown type");
  throw KeyError(fmt::format(
      "{}: this is {}; cryptochat uses RSA keys: make one with 'ssh-keygen -t rsa -b 3072' "
      "or 'cryptochat keygen'",
      origin, name));
}

// Reads the fields of the ssh wire encoding (RFC 4251, 5) from bytes it does not own; every
// length is checked against what is left and against a bound for the field before use.
class SshReader {
 public:
  SshReader(std::span<const std::uint8_t> data, const std::string& origin)
      : rest_(data), origin_(origin) {}

  std::uint32_t u32(std::string_view field) {
    need(4, field);
    const std::uint32_t value = (std::uint32_t{rest_[0]} << 24U) |
                                (std::uint32_t{rest_[1]} << 16U) | (std::uint32_t{rest_[2]} << 8U) |
                                std::uint32_t{rest_[3]};
    rest_ = rest_.subspan(4);
    return value;
  }

  std::span<const std::uint8_t> bytes(std::size_t size, std::string_view field) {
    need(size, field);
    const auto out = rest_.first(size);
    rest_ = rest_.subspan(size);
    return out;
  }

  std::span<const std::uint8_t> string(std::size_t max, std::string_view field) {
    const std::uint32_t size = u32(field);
    if (size > max) {
      bad(fmt::format("its {} is longer than {} bytes", field, max));
    }
    return bytes(size, field);
  }

  // A non-negative mpint in its shortest form, as OpenSSH writes (and insists on reading) them.
  Botan::BigInt mpint(std::size_t max, std::string_view field) {
    const auto data = string(max, field);
    if (!data.empty() && (data[0] & 0x80U) != 0) {
      bad(fmt::format("its {} is negative", field));
    }
    if (data.size() > 1 && data[0] == 0 && (data[1] & 0x80U) == 0) {
      bad(fmt::format("its {} has a needless leading zero", field));
    }
    return {data.data(), data.size()};
  }

  [[nodiscard]] std::span<const std::uint8_t> rest() const { return rest_; }

  void expect_end(std::string_view what) const {
    if (!rest_.empty()) {
      bad(fmt::format("unexpected bytes after the {}", what));
    }
  }

  [[noreturn]] void bad(const std::string& why) const {
    throw KeyError(fmt::format("{}: not a valid OpenSSH key: {}", origin_, why));
  }

 private:
  void need(std::size_t size, std::string_view field) const {
    if (size > rest_.size()) {
      bad(fmt::format("it ends inside its {}", field));
    }
  }

  std::span<const std::uint8_t> rest_;
  const std::string& origin_;
};

struct RsaPublic {
  Botan::BigInt n;
  Botan::BigInt e;
};

void check_rsa_numbers(const RsaPublic& key, const std::string& origin) {
  check_rsa_public(key.n, key.e, origin);
}

// A public key blob: string type, then for ssh-rsa mpint e, mpint n.
RsaPublic read_public_blob(std::span<const std::uint8_t> blob, const std::string& origin,
                           std::string_view expected_type) {
  SshReader reader(blob, origin);
  const std::string_view type = wire::text_of(reader.string(kMaxTypeBytes, "key type"));
  if (type != kRsaType) {
    not_rsa(origin, type);
  }
  if (!expected_type.empty() && type != expected_type) {
    reader.bad("the key type of the line and of its key data differ");
  }
  RsaPublic key;
  key.e = reader.mpint(kMaxExponentBytes, "public exponent");
  key.n = reader.mpint(kMaxModulusBytes, "modulus");
  reader.expect_end("public key");
  check_rsa_numbers(key, origin);
  return key;
}

void put_u32(std::vector<std::uint8_t>& out, std::size_t value) {
  for (const unsigned shift : {24U, 16U, 8U, 0U}) {
    out.push_back(static_cast<std::uint8_t>((value >> shift) & 0xFFU));
  }
}

void put_mpint(std::vector<std::uint8_t>& out, const Botan::BigInt& value) {
  std::vector<std::uint8_t> bytes = Botan::BigInt::encode(value);
  if (!bytes.empty() && (bytes[0] & 0x80U) != 0) {
    bytes.insert(bytes.begin(), 0);
  }
  put_u32(out, bytes.size());
  out.insert(out.end(), bytes.begin(), bytes.end());
}

struct Cipher {
  std::string_view name;
  std::string_view botan;
  std::size_t key_bytes;
};

constexpr std::array<Cipher, 3> kCiphers{{
    {"aes128-ctr", "CTR-BE(AES-128)", 16},
    {"aes192-ctr", "CTR-BE(AES-192)", 24},
    {"aes256-ctr", "CTR-BE(AES-256)", 32},
}};

Botan::secure_vector<std::uint8_t> decrypt_private_section(
    const Cipher& cipher, std::span<const std::uint8_t> kdf_options,
    std::span<const std::uint8_t> section, const std::string& origin,
    const PassphraseProvider& passphrase) {
  SshReader options(kdf_options, origin);
  const auto salt = options.string(kMaxSaltBytes, "bcrypt salt");
  const std::uint32_t rounds = options.u32("bcrypt rounds");
  options.expect_end("bcrypt options");
  if (salt.empty() || rounds == 0) {
    options.bad("its bcrypt salt or round count is zero");
  }
  if (rounds > kMaxBcryptRounds) {
    throw KeyError(fmt::format(
        "{}: the key asks for {} bcrypt rounds, more than the {} cryptochat accepts (ssh-keygen "
        "uses 16; lower it with 'ssh-keygen -p -a 16 -f FILE')",
        origin, rounds, kMaxBcryptRounds));
  }
  std::optional<Secret> pass = passphrase ? passphrase(origin) : std::nullopt;
  if (!pass || pass->empty()) {
    throw KeyError(fmt::format(
        "{}: the key is encrypted and no passphrase was given (type it at a terminal, or use "
        "--passphrase-file or CRYPTOCHAT_PASSPHRASE)",
        origin));
  }
  Botan::secure_vector<std::uint8_t> derived(cipher.key_bytes + kAesBlock);
  const auto kdf = Botan::PasswordHashFamily::create_or_throw("Bcrypt-PBKDF")->from_params(rounds);
  kdf->derive_key(derived.data(), derived.size(), pass->str().data(), pass->size(), salt.data(),
                  salt.size());
  pass.reset();  // wiped
  const auto ctr = Botan::StreamCipher::create_or_throw(std::string(cipher.botan));
  ctr->set_key(derived.data(), cipher.key_bytes);
  ctr->set_iv(derived.data() + cipher.key_bytes, kAesBlock);
  Botan::secure_vector<std::uint8_t> plain(section.begin(), section.end());
  ctr->cipher1(plain.data(), plain.size());
  return plain;
}

}  // namespace

bool is_ssh_key_type(std::string_view field) {
  if (field.empty() || field.size() > kMaxTypeBytes ||
      !(field.starts_with("ssh-") || field.starts_with("ecdsa-sha2-") ||
        field.starts_with("sk-"))) {
    return false;
  }
  return std::ranges::all_of(field, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '@' || c == '.';
  });
}

bool looks_like_ssh_public_key(std::string_view text) {
  std::string_view rest = trim(text.substr(0, std::min<std::size_t>(text.size(), 256)));
  std::string_view field = take_field(rest);
  return is_ssh_key_type(field);
}

PublicKey parse_ssh_public_key(std::string_view line, const std::string& origin) {
  if (line.size() > kMaxKeyFileBytes) {
    throw KeyError(fmt::format("{}: larger than any key file ({} bytes)", origin, line.size()));
  }
  std::string_view rest = trim(line);
  if (rest.find('\n') != std::string_view::npos) {
    throw KeyError(fmt::format(
        "{}: more than one line; an OpenSSH public key file holds one 'ssh-rsa AAAA...' line",
        origin));
  }
  const std::string_view type = take_field(rest);
  const std::string_view encoded = take_field(rest);  // what follows is a free comment
  if (!is_ssh_key_type(type)) {
    throw KeyError(fmt::format("{}: not an OpenSSH public key line", origin));
  }
  if (type != kRsaType) {
    not_rsa(origin, type);
  }
  if (encoded.empty() || encoded.size() > (kMaxPublicBlobBytes + 2) / 3 * 4) {
    throw KeyError(fmt::format("{}: not a valid OpenSSH public key: the key data is {}", origin,
                               encoded.empty() ? "missing" : "too long"));
  }
  std::vector<std::uint8_t> blob;
  try {
    const auto decoded = Botan::base64_decode(encoded.data(), encoded.size(), false);
    blob.assign(decoded.begin(), decoded.end());
  } catch (const std::exception&) {
    throw KeyError(
        fmt::format("{}: not a valid OpenSSH public key: the key data is not base64", origin));
  }
  RsaPublic key = read_public_blob(blob, origin, type);
  return PublicKey(std::make_shared<const Botan::RSA_PublicKey>(key.n, key.e));
}

namespace {

// The outer fields of an openssh-key-v1 file: views into the decoded bytes.
struct Container {
  std::string_view cipher_name;
  std::string_view kdf_name;
  std::span<const std::uint8_t> kdf_options;
  std::span<const std::uint8_t> public_blob;
  std::span<const std::uint8_t> section;
};

// Decodes the PEM text into file and reads its outer fields.
Container read_container(std::string_view text, const std::string& origin,
                         Botan::secure_vector<std::uint8_t>& file) {
  if (text.size() > kMaxKeyFileBytes) {
    throw KeyError(fmt::format("{}: larger than any key file ({} bytes)", origin, text.size()));
  }
  try {
    Botan::DataSource_Memory source(reinterpret_cast<const std::uint8_t*>(text.data()),
                                    text.size());
    std::string label;
    file = Botan::PEM_Code::decode(source, label);
    if (label != kOpensshPrivateLabel) {
      throw KeyError("");
    }
  } catch (const std::exception&) {
    throw KeyError(fmt::format("{}: not a valid OpenSSH private key file", origin));
  }
  SshReader reader(file, origin);
  if (wire::text_of(reader.bytes(kMagic.size(), "header")) != kMagic) {
    reader.bad("it does not start with \"openssh-key-v1\"");
  }
  Container c;
  c.cipher_name = wire::text_of(reader.string(kMaxTypeBytes, "cipher name"));
  c.kdf_name = wire::text_of(reader.string(kMaxTypeBytes, "KDF name"));
  c.kdf_options = reader.string(kMaxKdfOptionsBytes, "KDF options");
  const std::uint32_t keys = reader.u32("key count");
  if (keys != 1) {
    reader.bad(fmt::format("it holds {} keys where one is expected", keys));
  }
  c.public_blob = reader.string(kMaxPublicBlobBytes, "public key");
  c.section = reader.string(kMaxKeyFileBytes, "private key");
  reader.expect_end("private key");
  return c;
}

}  // namespace

std::optional<RsaPublicNumbers> openssh_unencrypted_public_key(std::string_view text) {
  try {
    Botan::secure_vector<std::uint8_t> file;
    const std::string origin = "key";
    const Container c = read_container(text, origin, file);
    if (c.cipher_name != "none") {
      return std::nullopt;
    }
    const RsaPublic key = read_public_blob(c.public_blob, origin, {});
    return RsaPublicNumbers{key.n, key.e};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::unique_ptr<Botan::RSA_PrivateKey> decode_openssh_private_key(
    std::string_view text, const std::string& origin, const PassphraseProvider& passphrase) {
  Botan::secure_vector<std::uint8_t> file;
  const Container container = read_container(text, origin, file);
  const std::string_view cipher_name = container.cipher_name;
  const std::string_view kdf_name = container.kdf_name;
  const auto kdf_options = container.kdf_options;
  const auto public_blob = container.public_blob;
  const auto section = container.section;
  SshReader reader(file, origin);  // for its error messages

  // Known to be an RSA key of an accepted size before any passphrase is asked or derived.
  const RsaPublic public_key = read_public_blob(public_blob, origin, {});

  const Cipher* cipher = nullptr;
  if (cipher_name != "none") {
    const auto* const found = std::ranges::find(kCiphers, cipher_name, &Cipher::name);
    if (found == kCiphers.end()) {
      const bool printable = is_ssh_key_type(std::string("ssh-") + std::string(cipher_name));
      throw KeyError(fmt::format(
          "{}: the key is encrypted with {}, which cryptochat does not read; re-encrypt it with "
          "'ssh-keygen -p -Z aes256-ctr -f FILE'",
          origin, printable ? std::string(cipher_name) : std::string("an unknown cipher")));
    }
    cipher = &*found;
    if (kdf_name != "bcrypt") {
      reader.bad("an encrypted key must use the bcrypt KDF");
    }
  } else if (kdf_name != "none" || !kdf_options.empty()) {
    reader.bad("an unencrypted key names a KDF");
  }
  const std::size_t block = cipher != nullptr ? kAesBlock : kPlainBlock;
  if (section.size() % block != 0 || section.size() < 8) {
    reader.bad("its private part is not a whole number of blocks");
  }

  const Botan::secure_vector<std::uint8_t> plain =
      cipher != nullptr ? decrypt_private_section(*cipher, kdf_options, section, origin, passphrase)
                        : Botan::secure_vector<std::uint8_t>(section.begin(), section.end());
  SshReader keys_reader(plain, origin);
  const std::uint32_t check1 = keys_reader.u32("check value");
  const std::uint32_t check2 = keys_reader.u32("check value");
  if (check1 != check2) {
    if (cipher != nullptr) {
      throw KeyError(fmt::format("{}: cannot decrypt the key: wrong passphrase", origin));
    }
    keys_reader.bad("its check values differ");
  }
  if (wire::text_of(keys_reader.string(kMaxTypeBytes, "key type")) != kRsaType) {
    keys_reader.bad("the private key is not of the type of the public key");
  }
  const Botan::BigInt n = keys_reader.mpint(kMaxModulusBytes, "modulus");
  const Botan::BigInt e = keys_reader.mpint(kMaxExponentBytes, "public exponent");
  const Botan::BigInt d = keys_reader.mpint(kMaxModulusBytes, "private exponent");
  const Botan::BigInt iqmp = keys_reader.mpint(kMaxModulusBytes, "CRT coefficient");
  const Botan::BigInt p = keys_reader.mpint(kMaxModulusBytes, "prime p");
  const Botan::BigInt q = keys_reader.mpint(kMaxModulusBytes, "prime q");
  static_cast<void>(keys_reader.string(kMaxCommentBytes, "comment"));
  const auto padding = keys_reader.rest();
  if (padding.size() >= block) {
    keys_reader.bad("unexpected bytes after the private key");
  }
  for (std::size_t i = 0; i < padding.size(); ++i) {
    if (padding[i] != static_cast<std::uint8_t>(i + 1)) {
      keys_reader.bad("its padding is not 1, 2, 3, ...");
    }
  }
  if (n != public_key.n || e != public_key.e) {
    throw KeyError(fmt::format(
        "{}: the key is corrupt (its private key does not match its public key)", origin));
  }
  if (p < 3 || q < 3 || p.is_even() || q.is_even() || p * q != n || d < 1 || d >= n) {
    throw KeyError(fmt::format("{}: the key is corrupt (its RSA values do not match)", origin));
  }
  std::unique_ptr<Botan::RSA_PrivateKey> key;
  try {
    key = std::make_unique<Botan::RSA_PrivateKey>(p, q, e, d, n);
  } catch (const std::exception&) {
    throw KeyError(fmt::format("{}: the key is corrupt (its RSA values do not match)", origin));
  }
  if (key->get_c() != iqmp) {
    throw KeyError(fmt::format("{}: the key is corrupt (its RSA values do not match)", origin));
  }
  return key;
}

std::vector<std::uint8_t> ssh_rsa_blob(const Botan::BigInt& n, const Botan::BigInt& e) {
  std::vector<std::uint8_t> blob;
  put_u32(blob, kRsaType.size());
  blob.insert(blob.end(), kRsaType.begin(), kRsaType.end());
  put_mpint(blob, e);
  put_mpint(blob, n);
  return blob;
}

std::string ssh_fingerprint(const Botan::RSA_PublicKey& key) {
  const std::vector<std::uint8_t> blob = ssh_rsa_blob(key.get_n(), key.get_e());
  auto sha256 = Botan::HashFunction::create_or_throw("SHA-256");
  sha256->update(blob.data(), blob.size());
  std::array<std::uint8_t, 32> digest{};
  sha256->final(digest.data());
  return fingerprint_of_hash(digest);
}

}  // namespace cryptochat::crypto
