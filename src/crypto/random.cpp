#include "crypto/random.hpp"

#include <botan/system_rng.h>

namespace cryptochat::crypto {

Botan::RandomNumberGenerator& system_rng() {
  return Botan::system_rng();
}

}  // namespace cryptochat::crypto
