#include <doctest/doctest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "crypto/locked_memory.hpp"

namespace {

std::optional<std::string> env(const char* name) {
  const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe)
  return value == nullptr ? std::nullopt : std::optional<std::string>(value);
}

}  // namespace

TEST_CASE("the locked memory pool is cut to 64 KiB unless the user chose a size") {
  const auto before = env("BOTAN_MLOCK_POOL_SIZE");
  ::unsetenv("BOTAN_MLOCK_POOL_SIZE");  // NOLINT(concurrency-mt-unsafe)
  cryptochat::crypto::limit_locked_memory_pool();
  CHECK(env("BOTAN_MLOCK_POOL_SIZE") == "64");

  ::setenv("BOTAN_MLOCK_POOL_SIZE", "0", 1);  // NOLINT(concurrency-mt-unsafe)
  cryptochat::crypto::limit_locked_memory_pool();
  CHECK(env("BOTAN_MLOCK_POOL_SIZE") == "0");

  if (before) {
    ::setenv("BOTAN_MLOCK_POOL_SIZE", before->c_str(), 1);  // NOLINT(concurrency-mt-unsafe)
  } else {
    ::unsetenv("BOTAN_MLOCK_POOL_SIZE");  // NOLINT(concurrency-mt-unsafe)
  }
}
