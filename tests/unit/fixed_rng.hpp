// A deterministic random number generator for tests: SHA-256 in counter mode over a seed.
// Only for repeatable test vectors and fuzz runs; never used by the program.
#pragma once

#include <botan/hash.h>
#include <botan/rng.h>

#include <cstdint>
#include <memory>
#include <string>

namespace cryptochat::test {

class FixedRng final : public Botan::RandomNumberGenerator {
 public:
  explicit FixedRng(std::string seed) : seed_(std::move(seed)) {}
  [[nodiscard]] std::string name() const override { return "FixedRng"; }
  [[nodiscard]] bool is_seeded() const override { return true; }
  [[nodiscard]] bool accepts_input() const override { return false; }
  void clear() override {}
  void add_entropy(const std::uint8_t* /*input*/, std::size_t /*length*/) override {}
  void randomize(std::uint8_t output[], std::size_t length) override {
    for (std::size_t i = 0; i < length; ++i) {
      if (used_ == sizeof block_) {
        sha_->update(seed_);
        for (int k = 7; k >= 0; --k) {
          sha_->update(static_cast<std::uint8_t>(counter_ >> (8U * static_cast<unsigned>(k))));
        }
        sha_->final(block_);
        ++counter_;
        used_ = 0;
      }
      output[i] = block_[used_++];
    }
  }

 private:
  std::string seed_;
  std::unique_ptr<Botan::HashFunction> sha_ = Botan::HashFunction::create_or_throw("SHA-256");
  std::uint64_t counter_ = 0;
  std::uint8_t block_[32] = {};
  std::size_t used_ = sizeof block_;
};

}  // namespace cryptochat::test
