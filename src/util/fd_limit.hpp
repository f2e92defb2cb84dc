// Many connections need many descriptors: more than the usual soft limit of 1024.
#pragma once

#include <cstddef>

namespace cryptochat {

// Raises RLIMIT_NOFILE towards `needed`: the soft limit up to the hard limit, and the hard limit
// too where the process is allowed to. Returns the soft limit now in force (at least `needed`
// when it worked); never throws.
std::size_t raise_fd_limit(std::size_t needed) noexcept;

}  // namespace cryptochat
