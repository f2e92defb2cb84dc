#include "crypto/locked_memory.hpp"

#include <cstdlib>

namespace cryptochat::crypto {

void limit_locked_memory_pool() noexcept {
  constexpr int kKeepExisting = 0;
  // Called while the program has one thread, before anything reads the environment.
  ::setenv("BOTAN_MLOCK_POOL_SIZE", "64", kKeepExisting);  // NOLINT(concurrency-mt-unsafe)
}

}  // namespace cryptochat::crypto
