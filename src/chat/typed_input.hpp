// What a person types at a terminal, cut into messages: each line is one message, and a line
// that is only a quit word (`sair`, the original chat's, or `/quit`) ends the chat.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "wire/bytes.hpp"

namespace cryptochat::chat {

bool is_quit_word(std::string_view line);

class TypedInput {
 public:
  using Send = std::function<void(wire::ByteView)>;

  // Takes typed bytes; sends each whole line (with its newline) and, so memory stays bounded,
  // any unfinished line of a full record's size. True once a quit word was typed: what follows
  // it is discarded, never sent.
  bool feed(wire::ByteView typed, const Send& send);
  // Sends the unfinished line, if any (the input ended or the chat is closing).
  void finish(const Send& send);

 private:
  std::string buffer_;
  bool line_started_ = false;  // part of the current line was sent already (it was too long)
};

}  // namespace cryptochat::chat
