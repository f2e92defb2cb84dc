#include "crypto/locked_memory.hpp"

#include <cstdlib>

namespace cryptochat::crypto {

void limit_locked_memory_pool() noexcept {
  constexpr int kKeepExisting = 0;
  ::setenv("BOTAN_MLOCK_POOL_SIZE", "64", kKeepExisting);
}

}  // namespace cryptochat::crypto
