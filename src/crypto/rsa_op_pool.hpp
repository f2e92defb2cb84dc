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
    return with(decryptors_, use, [this] { return make_decryptor(); });
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

  template <typename Op>
  struct Kept {
    std::vector<std::unique_ptr<Op>> ops;
    int being_made = 0;  // by prepare(), for whoever asks first
  };

  static Botan::RandomNumberGenerator& rng();  // for blinding only: the system RNG
  [[nodiscard]] std::unique_ptr<Botan::PK_Decryptor_EME> make_decryptor() const;

  template <typename Op, typename Make>
  void prepare_one(Kept<Op>& kept, Make make) noexcept {
    {
      const std::lock_guard lock(mutex_);
      ++kept.being_made;
    }
    std::unique_ptr<Op> op;
    try {
      op = make();
    } catch (const std::exception&) {
      // Reported when the operation is used.
    }
    {
      const std::lock_guard lock(mutex_);
      --kept.being_made;
      if (op) {
        kept.ops.push_back(std::move(op));
      }
    }
    ready_.notify_all();
  }

  template <typename Op, typename Use, typename Make>
  auto with(Kept<Op>& kept, Use& use, Make make) {
    std::unique_ptr<Op> op;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [&kept] { return !kept.ops.empty() || kept.being_made == 0; });
      if (!kept.ops.empty()) {
        op = std::move(kept.ops.back());
        kept.ops.pop_back();
      }
    }
    if (!op) {
      op = make();
    }
    auto result = use(*op);  // an exception discards the object
    const std::lock_guard lock(mutex_);
    if (kept.ops.size() < kMaxKept) {
      kept.ops.push_back(std::move(op));
    }
    return result;
  }

  const Botan::RSA_PrivateKey& key_;
  std::mutex mutex_;
  std::condition_variable ready_;
  Kept<Botan::PK_Decryptor_EME> decryptors_;
};

}  // namespace cryptochat::crypto
