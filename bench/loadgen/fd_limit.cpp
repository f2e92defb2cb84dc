#include "fd_limit.hpp"

#include <sys/resource.h>

#include <fmt/format.h>
#include <cerrno>

#include "util/error.hpp"

namespace cryptochat::loadgen {

void raise_fd_limit(std::size_t needed) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    throw Error(ExitCode::failure, fmt::format("getrlimit: {}", errno_text(errno)));
  }
  const auto want = static_cast<rlim_t>(needed);
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= want) {
    return;
  }
  rlimit raised = limit;
  raised.rlim_cur = want;
  // Only a privileged process may raise the hard limit; everyone may go up to it.
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < want) {
    raised.rlim_max = want;
  }
  if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) {
    throw Error(ExitCode::failure,
                fmt::format("cannot raise the open-file limit to {} (soft {}, hard {}): {}; try "
                            "ulimit -n {} or fewer --clients",
                            needed, limit.rlim_cur, limit.rlim_max, errno_text(errno), needed));
  }
}

}  // namespace cryptochat::loadgen
