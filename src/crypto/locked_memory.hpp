// How much memory Botan locks into RAM for secrets.
#pragma once

namespace cryptochat::crypto {

// Call first thing (cli::run does), before any key or secret exists. Botan keeps secrets in a pool
// of memory locked with mlock (never written to swap). By default it makes the pool 512 KiB at the
// first secret, mapping and locking each of its 128 pages, each between two guard pages, one system
// call at a time: ~2.5 ms of every start-up and more at exit. One RSA key's values and the session
// keys fit in a small fraction of it, so the pool is cut to 64 KiB; anything beyond still lives in
// memory that is wiped when freed. A BOTAN_MLOCK_POOL_SIZE (KiB) already set in the environment
// wins.
void limit_locked_memory_pool() noexcept;

}  // namespace cryptochat::crypto
