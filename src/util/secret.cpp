#include "util/secret.hpp"

#include <cstring>
#include <utility>

namespace cryptochat {

void wipe(void* p, std::size_t n) noexcept {
  if (n == 0) {
    return;
  }
  // explicit_bzero is glibc >= 2.25 and is never optimised away.
  explicit_bzero(p, n);
}

Secret::Secret(Secret&& other) noexcept : value_(std::move(other.value_)) {
  other.clear();
}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    clear();
    value_ = std::move(other.value_);
    other.clear();
  }
  return *this;
}

Secret::~Secret() {
  clear();
}

void Secret::clear() noexcept {
  // Wipe the whole capacity: a shrunk string may still hold old bytes past size().
  value_.resize(value_.capacity());
  wipe(value_.data(), value_.size());
  value_.clear();
}

}  // namespace cryptochat
