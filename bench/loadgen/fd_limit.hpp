// N clients need N descriptors in one process, more than the usual soft limit of 1024.
#pragma once

#include <cstddef>

namespace cryptochat::loadgen {

// Raises RLIMIT_NOFILE to at least `needed` (the hard limit too, where the process may);
// throws Error saying what is missing when it cannot.
void raise_fd_limit(std::size_t needed);

}  // namespace cryptochat::loadgen
