#include "util/fd_limit.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace cryptochat {

std::size_t raise_fd_limit(std::size_t needed) noexcept {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return 0;
  }
  const auto want = static_cast<rlim_t>(needed);
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= want) {
    return limit.rlim_cur == RLIM_INFINITY ? needed : static_cast<std::size_t>(limit.rlim_cur);
  }
  // Only a privileged process may raise the hard limit; everyone may go up to it.
  rlimit raised = limit;
  raised.rlim_cur = want;
  raised.rlim_max =
      limit.rlim_max == RLIM_INFINITY ? RLIM_INFINITY : std::max(limit.rlim_max, want);
  if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) {
    return needed;
  }
  raised = limit;
  raised.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) {
    return static_cast<std::size_t>(raised.rlim_cur);
  }
  return static_cast<std::size_t>(limit.rlim_cur);
}

}  // namespace cryptochat
