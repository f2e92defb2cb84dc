// Botan's RSA private-key operation objects are costly to make (blinding set-up: a modular
// inversion and a reducer, ~2.5 ms for RSA-2048, more than the operation itself) and cheap to
// reuse, but one must not be used by two threads at once. A server decrypts with the same key
// for every handshake, on several worker threads: each key keeps a few, lent out to one caller
// at a time.
#pragma once

#include <botan/pubkey.h>
#include <botan/rsa.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

namespace cryptochat::crypto {

// The exact parameters PROTOCOL.md fixes: MGF1 uses the same hash, empty label.
inline constexpr const char* kOaepPadding = "OAEP(SHA-256)";

class RsaOpPool {
 public:
  explicit RsaOpPool(const Botan::RSA_PrivateKey& key) : key_(key) {}

  // Runs use(op) with an operation object no other thread is using.
  template <typename Use>
  auto with_decryptor(Use use) {
    std::unique_ptr<Botan::PK_Decryptor_EME> op;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return !kept_.empty() || being_made_ == 0; });
      if (!kept_.empty()) {
        op = std::move(kept_.back());
        kept_.pop_back();
      }
    }
    if (!op) {
      op = make_decryptor();
    }
    auto result = use(*op);  // an exception discards the object
    const std::lock_guard lock(mutex_);
    if (kept_.size() < kMaxKept) {
      kept_.push_back(std::move(op));
    }
    return result;
  }

  // Makes one object now (run it on another thread while the network is awaited), so the first
  // handshake does not pay for it. A caller that needs one meanwhile waits for it rather than
  // making a second. A failure shows again, and is reported, when the object is needed.
  void prepare() noexcept;

  // prepare(), then one private-key operation on a dummy value: Botan runs the two halves of
  // each operation on worker threads of its own, started at the first one (~0.5 ms). A server
  // calls this before it listens, so its first handshake does not wait for them.
  void warm_up() noexcept;

 private:
  // More than the worker threads that use one key at once is never needed.
  static constexpr std::size_t kMaxKept = 8;

  static Botan::RandomNumberGenerator& rng();  // for blinding only: the system RNG
  [[nodiscard]] std::unique_ptr<Botan::PK_Decryptor_EME> make_decryptor() const;

  const Botan::RSA_PrivateKey& key_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<std::unique_ptr<Botan::PK_Decryptor_EME>> kept_;
  int being_made_ = 0;  // by prepare(), for whoever asks first
};

}  // namespace cryptochat::crypto
