#include "crypto/keys.hpp"

#include <botan/data_src.h>
#include <botan/pkcs8.h>
#include <botan/x509_key.h>

#include <fmt/format.h>
#include <string>
#include <typeinfo>

#include "crypto/fingerprint.hpp"
#include "crypto/random.hpp"
#include "crypto/rsa_op_pool.hpp"
#include "util/error.hpp"

namespace cryptochat::crypto {

namespace {
// scrypt N = 2^14, r = 8, p = 1: 16 MiB of memory per guess, and within the 32 MiB limit
// OpenSSL applies when it reads the key. Botan maps an "iteration" count to N in steps
// (over 50000 gives 2^14, over 100000 gives 2^15), so this value selects N = 2^14.
constexpr std::size_t kScryptIterations = 60000;
}  // namespace

void check_rsa_bits(std::size_t bits, const std::string& origin) {
  if (bits < kMinRsaBits) {
    throw KeyError(fmt::format("{}: a {}-bit RSA key is too weak (at least {} bits are needed)",
                               origin, bits, kMinRsaBits));
  }
  if (bits > kMaxRsaBits) {
    throw KeyError(fmt::format("{}: a {}-bit RSA key is larger than the {} bits supported", origin,
                               bits, kMaxRsaBits));
  }
}

void check_rsa_public(const Botan::BigInt& n, const Botan::BigInt& e, const std::string& origin) {
  // The size first: it bounds the cost of everything after it.
  check_rsa_bits(n.bits(), origin);
  if (n.is_even() || n.is_negative()) {
    throw KeyError(
        fmt::format("{}: not a valid RSA key (its modulus is even or negative)", origin));
  }
  if (e != kRsaPublicExponent) {
    // An exponent is public and a peer chose it: naming it (bounded to its size) is safe.
    throw KeyError(fmt::format("{}: the RSA public exponent must be {}, not {}", origin,
                               kRsaPublicExponent,
                               e.is_negative()  ? std::string("a negative number")
                               : e.bits() <= 32 ? std::to_string(e.to_u32bit())
                                                : fmt::format("a {}-bit number", e.bits())));
  }
}

PublicKey::PublicKey(std::shared_ptr<const Botan::RSA_PublicKey> key)
    : key_(std::move(key)), spki_(key_->subject_public_key()) {}

PublicKey PublicKey::from_spki(const std::vector<std::uint8_t>& der) {
  std::unique_ptr<Botan::Public_Key> key;
  try {
    Botan::DataSource_Memory source(der);
    // Botan 2 returns a raw pointer here and Botan 3 a unique_ptr: this spelling takes both.
    std::unique_ptr<Botan::Public_Key> loaded{Botan::X509::load_key(source)};
    key = std::move(loaded);
  } catch (const std::exception&) {
    throw KeyError("not a valid public key");
  }
  auto* rsa = dynamic_cast<Botan::RSA_PublicKey*>(key.get());
  if (rsa == nullptr) {
    throw KeyError(fmt::format("not an RSA public key ({})", key->algo_name()));
  }
  check_rsa_public(rsa->get_n(), rsa->get_e(), "public key");
  if (!rsa->check_key(system_rng(), false)) {
    throw KeyError("public key: not a valid RSA key (Botan's key check failed)");
  }
  if (typeid(*rsa) == typeid(Botan::RSA_PublicKey)) {
    // Kept as loaded: a copy would repeat the Montgomery set-up of the modulus (~1 ms).
    const std::shared_ptr<const Botan::Public_Key> owner(std::move(key));
    return PublicKey(std::shared_ptr<const Botan::RSA_PublicKey>(owner, rsa));
  }
  // Re-wrap as a plain RSA_PublicKey so the type is exact whatever X509::load_key built.
  return PublicKey(std::make_shared<const Botan::RSA_PublicKey>(rsa->get_n(), rsa->get_e()));
}

std::string PublicKey::spki_pem() const {
  return Botan::X509::PEM_encode(*key_);
}

std::string PublicKey::fingerprint() const {
  return fingerprint_of_spki(spki_der());
}

PrivateKey::PrivateKey(std::unique_ptr<Botan::RSA_PrivateKey> key)
    : spki_(key->subject_public_key()) {
  auto loaded = std::make_shared<Loaded>();
  loaded->ops = std::make_unique<RsaOpPool>(*key);
  loaded->key = std::move(key);
  std::promise<std::shared_ptr<const Loaded>> ready;
  ready.set_value(std::move(loaded));
  loaded_ = ready.get_future().share();
}

PrivateKey PrivateKey::deferred(std::vector<std::uint8_t> spki, std::function<PrivateKey()> load) {
  PrivateKey key;
  key.spki_ = std::move(spki);
  key.loaded_ = std::async(std::launch::async, [load = std::move(load), spki = key.spki_] {
                  PrivateKey full = load();
                  if (full.spki_ != spki) {
                    throw KeyError("the private key does not match its public half");
                  }
                  return full.loaded_.get();
                }).share();
  return key;
}

PrivateKey::PrivateKey(PrivateKey&&) noexcept = default;
PrivateKey& PrivateKey::operator=(PrivateKey&&) noexcept = default;
PrivateKey::~PrivateKey() = default;

PrivateKey PrivateKey::generate(std::size_t bits) {
  check_rsa_bits(bits, "keygen");
  return PrivateKey(std::make_unique<Botan::RSA_PrivateKey>(system_rng(), bits));
}

std::string PrivateKey::fingerprint() const {
  return fingerprint_of_spki(spki_);
}

PublicKey PrivateKey::public_key() const {
  return PublicKey(std::make_shared<const Botan::RSA_PublicKey>(botan().get_n(), botan().get_e()));
}

Secret PrivateKey::pkcs8_pem(const Secret& passphrase) const {
  if (passphrase.empty()) {
    return Secret(Botan::PKCS8::PEM_encode(botan()));
  }
  return Secret(Botan::PKCS8::PEM_encode_encrypted_pbkdf_iter(
      botan(), system_rng(), passphrase.str(), kScryptIterations, "AES-256/CBC", "Scrypt"));
}

}  // namespace cryptochat::crypto
