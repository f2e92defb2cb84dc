#include "util/error.hpp"

#include <cstring>

namespace cryptochat {

std::string errno_text(int err) {
  // strerror is fine here: the program is single-threaded wherever it reports errors, and
  // glibc's strerror returns static strings for known codes.
  return std::strerror(err);  // NOLINT(concurrency-mt-unsafe)
}

}  // namespace cryptochat
