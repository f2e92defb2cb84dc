#include "crypto/key_file.hpp"

#include <botan/asn1_obj.h>
#include <botan/ber_dec.h>
#include <botan/data_src.h>
#include <botan/der_enc.h>
#include <botan/pem.h>
#include <botan/pkcs8.h>

#include <fmt/format.h>

#include "crypto/asn1_compat.hpp"
#include "crypto/key_encryption_cost.hpp"
#include "crypto/rsa_op_pool.hpp"
#include "crypto/ssh_key.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

namespace cryptochat::crypto {

namespace {

constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::string_view kDashes = "-----";

std::unique_ptr<Botan::RSA_PrivateKey> as_rsa(std::unique_ptr<Botan::Private_Key> key,
                                              const std::string& origin) {
  auto* rsa = dynamic_cast<Botan::RSA_PrivateKey*>(key.get());
  if (rsa == nullptr) {
    throw KeyError(
        fmt::format("{}: not an RSA key ({}); cryptochat uses RSA keys", origin, key->algo_name()));
  }
  static_cast<void>(key.release());
  return std::unique_ptr<Botan::RSA_PrivateKey>(rsa);
}

std::unique_ptr<Botan::Private_Key> decode_traditional_rsa(std::string_view text,
                                                           const std::string& origin) {
  if (text.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos) {
    throw KeyError(
        fmt::format("{}: legacy encrypted PEM (Proc-Type: 4,ENCRYPTED, as 'ssh-keygen -m PEM' "
                    "writes) is not supported; convert it in place with 'ssh-keygen -p -f {}' "
                    "(OpenSSH format) or 'ssh-keygen -p -m PKCS8 -f {}', or with "
                    "'openssl pkcs8 -topk8 -in OLD -out NEW'",
                    origin, origin, origin));
  }
  Botan::DataSource_Memory source(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  std::string label;
  const auto der = Botan::PEM_Code::decode(source, label);
  return std::make_unique<Botan::RSA_PrivateKey>(
      Botan::AlgorithmIdentifier("RSA", Botan::AlgorithmIdentifier::USE_NULL_PARAM), der);
}

// The private key rule is util's FileRule::secret (owned by the user or root, no access for
// anybody else), applied once the bytes show a private key: a public key file may be 0644.
void check_private_mode(const std::string& path, const FileContents& file) {
  if (auto problem =
          file_rule_violation(path, file.mode, file.owner, FileRule::secret, "private key")) {
    throw KeyError("UNPROTECTED PRIVATE KEY FILE: " + *problem);
  }
}

// A key can decode yet be inconsistent (a flipped byte in a prime), and signing with it could
// leak the key (a CRT fault). Checks n = p*q and that the CRT values match d and e. Botan's
// check_key() does this too, but adds Miller-Rabin and Lucas tests of p and q that cost ~40 ms
// of every start-up and add nothing for a key its owner made.
bool rsa_values_consistent(const Botan::RSA_PrivateKey& key) {
  const Botan::BigInt& p = key.get_p();
  const Botan::BigInt& q = key.get_q();
  if (p < 3 || q < 3 || p * q != key.get_n() || key.get_e() < 3) {
    return false;
  }
  const Botan::BigInt p1 = p - 1;
  const Botan::BigInt q1 = q - 1;
  return key.get_d1() == key.get_d() % p1 && key.get_d2() == key.get_d() % q1 &&
         (key.get_c() * q) % p == 1 && (key.get_e() * key.get_d1()) % p1 == 1 &&
         (key.get_e() * key.get_d2()) % q1 == 1;
}

PrivateKey checked_private_key(std::unique_ptr<Botan::RSA_PrivateKey> rsa,
                               const std::string& origin) {
  check_rsa_public(rsa->get_n(), rsa->get_e(), origin);
  if (!rsa_values_consistent(*rsa)) {
    throw KeyError(fmt::format("{}: the key is corrupt (its RSA values do not match)", origin));
  }
  return PrivateKey(std::move(rsa));
}

}  // namespace

std::string pem_label(std::string_view text) {
  const auto begin = text.find(kBegin);
  if (begin == std::string_view::npos) {
    return {};
  }
  const auto start = begin + kBegin.size();
  const auto end = text.find(kDashes, start);
  if (end == std::string_view::npos || end - start > 64) {
    return {};
  }
  return std::string(text.substr(start, end - start));
}

PrivateKey parse_private_key(std::string_view bytes, const std::string& origin,
                             const PassphraseProvider& passphrase) {
  if (bytes.size() > kMaxKeyFileBytes) {
    throw KeyError(fmt::format("{}: larger than any key file ({} bytes)", origin, bytes.size()));
  }
  const std::string label = pem_label(bytes);
  if ((label.empty() && looks_like_ssh_public_key(bytes)) || label == "SSH2 PUBLIC KEY") {
    throw KeyError(fmt::format("{}: this is a public key; a private key is needed", origin));
  }
  if (label == kOpensshPrivateLabel) {
    return checked_private_key(decode_openssh_private_key(bytes, origin, passphrase), origin);
  }
  if (!label.empty() && label != "PRIVATE KEY" && label != "ENCRYPTED PRIVATE KEY" &&
      label != "RSA PRIVATE KEY") {
    if (label == "PUBLIC KEY") {
      throw KeyError(fmt::format("{}: this is a public key; a private key is needed", origin));
    }
    throw KeyError(fmt::format("{}: not a private key (PEM block '{}')", origin, label));
  }
  const bool traditional = label == "RSA PRIVATE KEY";
  // PKCS#8, PEM or DER: its DER form, whose encryption costs are checked before any
  // passphrase derivation can run.
  Botan::secure_vector<std::uint8_t> der;
  if (!traditional) {
    try {
      if (label.empty()) {
        der.assign(bytes.begin(), bytes.end());
      } else {
        Botan::DataSource_Memory source(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                        bytes.size());
        std::string found;
        der = Botan::PEM_Code::decode(source, found);
      }
    } catch (const std::exception&) {
      throw KeyError(fmt::format("{}: not a valid private key file", origin));
    }
  }
  const bool encrypted = !traditional && check_key_encryption_cost(der, origin);

  std::optional<Secret> pass;
  if (encrypted) {
    pass = passphrase ? passphrase(origin) : std::nullopt;
    if (!pass || pass->empty()) {
      throw KeyError(fmt::format(
          "{}: the key is encrypted and no passphrase was given (type it at a terminal, or use "
          "--passphrase-file or CRYPTOCHAT_PASSPHRASE)",
          origin));
    }
  }

  std::unique_ptr<Botan::Private_Key> key;
  try {
    if (traditional) {
      key = decode_traditional_rsa(bytes, origin);
    } else {
      Botan::DataSource_Memory source(der);
      std::unique_ptr<Botan::Private_Key> loaded{
          encrypted ? Botan::PKCS8::load_key(source, pass->str()) : Botan::PKCS8::load_key(source)};
      key = std::move(loaded);
    }
  } catch (const KeyError&) {
    throw;
  } catch (const std::exception&) {
    if (encrypted) {
      throw KeyError(
          fmt::format("{}: cannot decrypt the key: wrong passphrase or corrupt file", origin));
    }
    throw KeyError(fmt::format("{}: not a valid private key file", origin));
  }
  return checked_private_key(as_rsa(std::move(key), origin), origin);
}

std::optional<std::vector<std::uint8_t>> public_half_of_private_key(std::string_view bytes) {
  // rsaEncryption, built from its numbers: a name or dotted string would make Botan build its
  // table of OID names first (~1 ms), which is exactly the wait this function avoids.
  const Botan::OID rsa_encryption({1, 2, 840, 113549, 1, 1, 1});
  try {
    const std::string label = pem_label(bytes);
    Botan::BigInt n;
    Botan::BigInt e;
    if (label == kOpensshPrivateLabel) {
      auto numbers = openssh_unencrypted_public_key(bytes);
      if (!numbers) {
        return std::nullopt;
      }
      n = std::move(numbers->n);
      e = std::move(numbers->e);
    } else {
      if (bytes.size() > kMaxKeyFileBytes ||
          (label != "PRIVATE KEY" && label != "RSA PRIVATE KEY") ||
          bytes.find("Proc-Type:") != std::string_view::npos) {
        return std::nullopt;
      }
      Botan::DataSource_Memory source(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                      bytes.size());
      std::string found;
      Botan::secure_vector<std::uint8_t> rsa_der = Botan::PEM_Code::decode(source, found);
      if (label == "PRIVATE KEY") {  // PKCS#8 PrivateKeyInfo around an RSAPrivateKey
        std::size_t version = 0;
        Botan::AlgorithmIdentifier algorithm;
        Botan::secure_vector<std::uint8_t> inner;
        Botan::BER_Decoder(rsa_der)
            .start_cons(asn1::kSequence)
            .decode(version)
            .decode(algorithm)
            .decode(inner, asn1::kOctetString)
            .discard_remaining()
            .end_cons();
        if (version != 0 || asn1::oid_of(algorithm) != rsa_encryption) {
          return std::nullopt;
        }
        rsa_der = std::move(inner);
      }
      std::size_t version = 0;
      Botan::BER_Decoder(rsa_der)
          .start_cons(asn1::kSequence)
          .decode(version)
          .decode(n)
          .decode(e)
          .discard_remaining()
          .end_cons();
      if (version != 0 || n.bits() < kMinRsaBits || n.bits() > kMaxRsaBits ||
          e != kRsaPublicExponent) {  // loaded in full, which says what is wrong
        return std::nullopt;
      }
    }
    // SubjectPublicKeyInfo as Botan's subject_public_key() writes it (RFC 3279, 2.3.1).
    const std::vector<std::uint8_t> rsa_public = Botan::DER_Encoder()
                                                     .start_cons(asn1::kSequence)
                                                     .encode(n)
                                                     .encode(e)
                                                     .end_cons()
                                                     .get_contents_unlocked();
    return Botan::DER_Encoder()
        .start_cons(asn1::kSequence)
        .encode(
            Botan::AlgorithmIdentifier(rsa_encryption, Botan::AlgorithmIdentifier::USE_NULL_PARAM))
        .encode(rsa_public, asn1::kBitString)
        .end_cons()
        .get_contents_unlocked();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

PublicKey parse_public_key(std::string_view bytes, const std::string& origin) {
  if (bytes.size() > kMaxKeyFileBytes) {
    throw KeyError(fmt::format("{}: larger than any key file ({} bytes)", origin, bytes.size()));
  }
  const std::string label = pem_label(bytes);
  if (label.empty() && looks_like_ssh_public_key(bytes)) {
    return parse_ssh_public_key(bytes, origin);
  }
  if (label == "SSH2 PUBLIC KEY") {
    throw KeyError(
        fmt::format("{}: an RFC 4716 (SSH2) public key; convert it with 'ssh-keygen -i -f {}'",
                    origin, origin));
  }
  std::vector<std::uint8_t> der;
  try {
    if (label.empty()) {
      der.assign(bytes.begin(), bytes.end());
    } else if (label == "PUBLIC KEY") {
      Botan::DataSource_Memory source(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                      bytes.size());
      std::string found;
      const auto decoded = Botan::PEM_Code::decode(source, found);
      der.assign(decoded.begin(), decoded.end());
    } else {
      throw KeyError(fmt::format("{}: not a public key (PEM block '{}')", origin, label));
    }
  } catch (const KeyError&) {
    throw;
  } catch (const std::exception&) {
    throw KeyError(fmt::format("{}: not a valid public key file", origin));
  }
  try {
    return PublicKey::from_spki(der);
  } catch (const KeyError& e) {
    throw KeyError(fmt::format("{}: {}", origin, e.what()));
  }
}

PrivateKey load_private_key_file(const std::string& path, const PassphraseProvider& passphrase) {
  FileContents file = read_file(path, kMaxKeyFileBytes, "key file");
  const Secret contents(std::move(file.bytes));
  check_private_mode(path, file);
  return parse_private_key(contents.view(), path, passphrase);
}

std::optional<PrivateKey> start_loading_private_key_file(const std::string& path) {
  auto contents = std::make_shared<Secret>();
  std::optional<std::vector<std::uint8_t>> spki;
  try {
    FileContents file = read_file(path, kMaxKeyFileBytes, "key file");
    *contents = Secret(std::move(file.bytes));
    check_private_mode(path, file);
    spki = public_half_of_private_key(contents->view());
  } catch (const Error&) {
    return std::nullopt;
  }
  if (!spki) {
    return std::nullopt;
  }
  return PrivateKey::deferred(std::move(*spki), [contents, path] {
    const Secret bytes = std::move(*contents);  // wiped once the key is made
    PrivateKey key = parse_private_key(bytes.view(), path, {});
    key.op_pool().prepare();
    return key;
  });
}

PublicKey load_any_key_file(const std::string& path, const PassphraseProvider& passphrase) {
  FileContents file = read_file(path, kMaxKeyFileBytes, "key file");
  const std::string label = pem_label(file.bytes);
  // A public key file is read whatever its mode (an id_rsa.pub is 0644): only what holds a
  // private key is held to the private-key rule.
  if (label == "PUBLIC KEY" || label == "SSH2 PUBLIC KEY" ||
      (label.empty() && looks_like_ssh_public_key(file.bytes))) {
    return parse_public_key(file.bytes, path);
  }
  if (label.empty()) {
    // DER: a public key when it decodes as one, else it is taken for a private key.
    try {
      return parse_public_key(file.bytes, path);
    } catch (const KeyError&) {
    }
  }
  const Secret contents(std::move(file.bytes));
  check_private_mode(path, file);
  return parse_private_key(contents.view(), path, passphrase).public_key();
}

}  // namespace cryptochat::crypto
