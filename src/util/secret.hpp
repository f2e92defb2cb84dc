// A byte string that is wiped when it goes away: passphrases and other secrets held by the
// program itself (Botan's secure_vector covers key material inside the crypto layer).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cryptochat {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  ~Secret();

  [[nodiscard]] std::string_view view() const noexcept { return value_; }
  [[nodiscard]] const std::string& str() const noexcept { return value_; }
  [[nodiscard]] bool empty() const noexcept { return value_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return value_.size(); }
  void push_back(char c) { value_.push_back(c); }
  void clear() noexcept;

 private:
  std::string value_;
};

// Overwrites n bytes at p in a way the compiler cannot elide.
void wipe(void* p, std::size_t n) noexcept;

}  // namespace cryptochat
