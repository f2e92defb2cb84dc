#include <doctest/doctest.h>

#include "crypto/fingerprint.hpp"
#include "crypto/key_file.hpp"
#include "test_support.hpp"

using namespace cryptochat;

TEST_CASE("fingerprint matches the one OpenSSL computes for the same key") {
  // See tests/data/README.md for the openssl command that gives this value.
  const auto key = crypto::parse_public_key(test::data_file("rsa2048_pub.pem"), "pub");
  CHECK(key.fingerprint() == "SHA256:iglGkwo3rUB4MD/hhlIxc5ViZWfvUth5TNnbEB7pMRk");
  CHECK(crypto::looks_like_fingerprint(key.fingerprint()));
}

TEST_CASE("fingerprint of known bytes (SHA-256 of the empty string)") {
  CHECK(crypto::fingerprint_of_spki({}) == "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU");
}

TEST_CASE("looks_like_fingerprint rejects near misses") {
  CHECK_FALSE(crypto::looks_like_fingerprint("SHA256:"));
  CHECK_FALSE(crypto::looks_like_fingerprint("sha256:iglGkwo3rUB4MD/hhlIxc5ViZWfvUth5TNnbEB7pMRk"));
  CHECK_FALSE(crypto::looks_like_fingerprint("SHA256:iglGkwo3rUB4MD/hhlIxc5ViZWfvUth5TNnbEB7pMR="));
  CHECK_FALSE(
      crypto::looks_like_fingerprint("SHA256:iglGkwo3rUB4MD/hhlIxc5ViZWfvUth5TNnbEB7pMRkk"));
}
