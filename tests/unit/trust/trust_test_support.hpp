// Helpers shared by the trust layer's tests.
#pragma once

#include <sys/stat.h>

#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

namespace cryptochat::test {

// Fingerprints in the accepted form; kFpA is that of tests/data/rsa2048_pub.pem.
inline constexpr const char* kFpA = "SHA256:iglGkwo3rUB4MD/hhlIxc5ViZWfvUth5TNnbEB7pMRk";
inline constexpr const char* kFpB = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
inline constexpr const char* kFpC = "SHA256:+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+";

inline void write_text(const std::string& path, std::string_view text, mode_t mode = 0600) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  ::chmod(path.c_str(), mode);
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline mode_t mode_of(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 07777;
}

}  // namespace cryptochat::test
