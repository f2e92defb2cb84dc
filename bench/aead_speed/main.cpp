// cryptochat-aead-speed: how fast this machine's Botan runs each AEAD it offers, one core,
// 64 KiB messages (cryptochat's record size). It shows what bounds the bulk throughput: the
// record layer cannot move data faster than its AEAD seals it on one side and opens it on the
// other. Usage: cryptochat-aead-speed [milliseconds per algorithm, default 700]
#include <botan/aead.h>
#include <botan/system_rng.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

constexpr std::size_t kMessage = 65536;

// MiB/s of sealing kMessage-byte messages with `mode` (a fresh key and nonces) for `budget`.
double seal_rate(Botan::AEAD_Mode& mode, std::chrono::milliseconds budget) {
  Botan::System_RNG rng;
  mode.set_key(rng.random_vec(mode.key_spec().maximum_keylength()));
  std::vector<std::uint8_t> nonce(mode.default_nonce_length());
  Botan::secure_vector<std::uint8_t> buffer;
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t sealed = 0;
  for (std::uint64_t i = 0; std::chrono::steady_clock::now() - start < budget; ++i) {
    for (std::size_t b = 0; b < 8 && b < nonce.size(); ++b) {
      nonce[b] = static_cast<std::uint8_t>(i >> (8 * b));  // a fresh nonce per message
    }
    buffer.assign(kMessage, 0x5a);
    mode.start(nonce);
    mode.finish(buffer);
    sealed += kMessage;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(sealed) / seconds / (1024.0 * 1024.0);
}

}  // namespace

int main(int argc, char** argv) {
  const auto budget = std::chrono::milliseconds(argc > 1 ? std::atoi(argv[1]) : 700);
  fmt::print(
      "| AEAD (Botan, one core, 64 KiB messages) | MiB/s | provider |\n| --- | ---: | --- |\n");
  for (const char* name : {"AES-256/GCM", "AES-128/GCM", "ChaCha20Poly1305", "AES-256/OCB",
                           "AES-128/OCB", "AES-256/EAX", "AES-256/SIV"}) {
    auto mode = Botan::AEAD_Mode::create(name, Botan::ENCRYPTION);
    if (!mode) {
      fmt::print("| {} | not in this Botan | |\n", name);
      continue;
    }
    const double rate = seal_rate(*mode, budget);
    fmt::print("| {}{} | {:.0f} | {} |\n", name,
               std::string(name) == "AES-256/GCM" ? " (cryptochat's)" : "", rate, mode->provider());
  }
  return 0;
}
