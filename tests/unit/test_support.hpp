// Helpers shared by the unit tests.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "wire/frame.hpp"
#include "wire/room_messages.hpp"

namespace cryptochat::test {

inline std::string data_file(const std::string& name) {
  std::ifstream in(std::string(TEST_DATA_DIR) + "/" + name, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A fresh folder under the system temporary folder, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cryptochat-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  [[nodiscard]] std::string file(const std::string& name) const { return path_ + "/" + name; }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A room participant whose key hash is `fill` repeated.
inline wire::Participant participant(std::string name, std::uint8_t fill) {
  wire::Participant p;
  p.key_hash.fill(fill);
  p.name = std::move(name);
  return p;
}

// The whole frames (header and body) in `bytes`, which must hold nothing else.
inline std::vector<wire::Bytes> split_frames(const wire::Bytes& bytes) {
  wire::FrameDecoder decoder;
  decoder.feed(bytes);
  std::vector<wire::Bytes> frames;
  while (const auto f = decoder.next()) {
    wire::Bytes& whole = frames.emplace_back(f->header.begin(), f->header.end());
    whole.insert(whole.end(), f->body.begin(), f->body.end());
  }
  REQUIRE(decoder.buffered() == 0);
  return frames;
}

}  // namespace cryptochat::test
