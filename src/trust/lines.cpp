#include "trust/lines.hpp"

namespace cryptochat::trust::detail {

std::optional<Line> LineReader::next() {
  if (rest_.empty()) {
    return std::nullopt;
  }
  const auto end = rest_.find('\n');
  std::string_view text = rest_.substr(0, end);
  rest_.remove_prefix(end == std::string_view::npos ? rest_.size() : end + 1);
  // Files edited on Windows end lines with "\r\n"; a '\r' anywhere else is left for the parser
  // to refuse.
  if (!text.empty() && text.back() == '\r') {
    text.remove_suffix(1);
  }
  return Line{++number_, text};
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && is_blank(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

bool is_ignorable(std::string_view trimmed) {
  return trimmed.empty() || trimmed.front() == '#';
}

}  // namespace cryptochat::trust::detail
