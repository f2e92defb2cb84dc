#include "chat/typed_input.hpp"

#include "wire/frame.hpp"

namespace cryptochat::chat {

bool is_quit_word(std::string_view line) {
  return line == "sair" || line == "/quit";
}

bool TypedInput::feed(wire::ByteView typed, const Send& send) {
  buffer_.append(typed.begin(), typed.end());
  std::size_t start = 0;
  while (true) {
    const auto nl = buffer_.find('\n', start);
    if (nl == std::string::npos) {
      break;
    }
    std::string_view bare = std::string_view(buffer_).substr(start, nl - start);
    if (!bare.empty() && bare.back() == '\r') {
      bare.remove_suffix(1);
    }
    if (!line_started_ && is_quit_word(bare)) {
      buffer_.clear();
      return true;
    }
    line_started_ = false;
    send(wire::bytes_of(std::string_view(buffer_).substr(start, nl + 1 - start)));
    start = nl + 1;
  }
  buffer_.erase(0, start);
  if (buffer_.size() >= wire::kMaxRecordData) {
    finish(send);
    line_started_ = true;  // the rest of this line is not a line of its own
  }
  return false;
}

void TypedInput::finish(const Send& send) {
  line_started_ = false;
  if (!buffer_.empty()) {
    send(wire::bytes_of(buffer_));
    buffer_.clear();
  }
}

}  // namespace cryptochat::chat
