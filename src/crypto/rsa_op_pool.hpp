// Botan's RSA private-key operation objects are costly to make (Montgomery and blinding set-up:
// several milliseconds each for RSA-2048, more than the operation itself) and cheap to reuse,
// but one must not be used by two threads at once. A server signs and decrypts with the same
// key for every handshake, on several worker threads: each key keeps a few of each, lent out
// to one caller at a time.
#pragma once

#include <botan/pubkey.h>
#include <botan/rsa.h>

#include <memory>
#include <mutex>
#include <vector>

namespace cryptochat::crypto {

// The exact parameters PROTOCOL.md fixes: MGF1 uses the same hash, empty label, 32-byte salt.
inline constexpr const char* kOaepPadding = "OAEP(SHA-256)";
inline constexpr const char* kPssPadding = "PSSR(SHA-256,MGF1,32)";

class RsaOpPool {
 public:
  explicit RsaOpPool(const Botan::RSA_PrivateKey& key) : key_(key) {}

  // Runs use(op) with an operation object no other thread is using.
  template <typename Use>
  auto with_signer(Use use) {
    return with(signers_, use,
                [this] { return std::make_unique<Botan::PK_Signer>(key_, rng(), kPssPadding); });
  }
  template <typename Use>
  auto with_decryptor(Use use) {
    return with(decryptors_, use, [this] {
      return std::make_unique<Botan::PK_Decryptor_EME>(key_, rng(), kOaepPadding);
    });
  }

  // Makes one object of each kind now (on another thread, while the network is awaited), so the
  // first handshake does not pay for it. A failure shows again, and is reported, when the object
  // is needed.
  void prepare() noexcept;

 private:
  // More than the worker threads that use one key at once is never needed.
  static constexpr std::size_t kMaxKept = 8;

  static Botan::RandomNumberGenerator& rng();  // for blinding only: the system RNG

  template <typename Op, typename Use, typename Make>
  auto with(std::vector<std::unique_ptr<Op>>& kept, Use& use, Make make) {
    std::unique_ptr<Op> op;
    {
      const std::lock_guard lock(mutex_);
      if (!kept.empty()) {
        op = std::move(kept.back());
        kept.pop_back();
      }
    }
    if (!op) {
      op = make();
    }
    auto result = use(*op);  // an exception discards the object
    const std::lock_guard lock(mutex_);
    if (kept.size() < kMaxKept) {
      kept.push_back(std::move(op));
    }
    return result;
  }

  const Botan::RSA_PrivateKey& key_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Botan::PK_Signer>> signers_;
  std::vector<std::unique_ptr<Botan::PK_Decryptor_EME>> decryptors_;
};

}  // namespace cryptochat::crypto
