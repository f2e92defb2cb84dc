// Line-by-line reading shared by the known_hosts and authorized keys parsers. Internal to the
// trust layer. Works on any bytes: NUL and other control characters are just bytes here, and
// what is acceptable is decided by each parser.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "util/text.hpp"

namespace cryptochat::trust::detail {

// Both files are meant to be small; the bound keeps a hostile or mistaken file from costing
// unbounded memory and time.
inline constexpr std::size_t kMaxTrustFileBytes = std::size_t{1024} * 1024;
inline constexpr std::size_t kMaxLineBytes = 1024;

struct Line {
  std::size_t number = 0;  // 1-based, as editors count
  std::string_view text;   // without the "\n" or "\r\n" that ended it
};

// Yields the lines of a text one at a time. A final line without "\n" is still a line; the
// empty remainder after a final "\n" is not.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : rest_(text) {}
  std::optional<Line> next();

 private:
  std::string_view rest_;
  std::size_t number_ = 0;
};

using cryptochat::is_blank;
using cryptochat::take_field;

// Control characters (including DEL); bytes from 0x80 up are let through so UTF-8 survives.
inline bool is_control(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7f;
}

// Without leading and trailing spaces and tabs.
std::string_view trim(std::string_view text);

// True for a line that holds nothing: blank, or a comment starting with '#'.
bool is_ignorable(std::string_view trimmed);

}  // namespace cryptochat::trust::detail
