// The one random number generator the program uses: the kernel's (getrandom), which is
// thread-safe and needs no seeding of our own.
#pragma once

#include <botan/rng.h>

namespace cryptochat::crypto {

Botan::RandomNumberGenerator& system_rng();

}  // namespace cryptochat::crypto
