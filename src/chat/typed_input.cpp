#include "chat/typed_input.hpp"

#include <fmt/format.h>

#include "chat/terminal_view.hpp"
#include "util/text.hpp"
#include "wire/frame.hpp"

namespace cryptochat::chat {

bool is_quit_word(std::string_view line) {
  return line == "sair" || line == "/quit";
}

TypedLine interpret_line(std::string_view line) {
  if (is_quit_word(line)) {
    return {TypedLine::Kind::quit, {}};
  }
  if (line.starts_with("//")) {
    line.remove_prefix(1);
    return {TypedLine::Kind::message, std::string(line)};
  }
  if (!line.starts_with('/')) {
    return {TypedLine::Kind::message, std::string(line)};
  }
  constexpr std::string_view kSpace = " \t";
  const auto last = line.find_last_not_of(kSpace);
  const std::string_view command = line.substr(0, last == std::string_view::npos ? 0 : last + 1);
  if (command == "/quit") {
    return {TypedLine::Kind::quit, {}};
  }
  if (command == "/help") {
    return {TypedLine::Kind::help, {}};
  }
  if (command == "/who") {
    return {TypedLine::Kind::who, {}};
  }
  if (command == "/fingerprint") {
    return {TypedLine::Kind::fingerprint, {}};
  }
  if (command == "/verify") {
    return {TypedLine::Kind::verify, {}};
  }
  return {TypedLine::Kind::unknown, std::string(command.substr(0, command.find_first_of(kSpace)))};
}

std::string_view command_help() {
  return "/help         this list\n"
         "/who          who is in the chat, with their key fingerprints ([verified]: the room\n"
         "              server admitted that key because it is on its list)\n"
         "/fingerprint  your key's fingerprint and the peer's\n"
         "/verify       the words to read to the peer by voice, and both fingerprints\n"
         "/quit, sair   end the chat\n"
         "//text        send \"/text\" (a line starting with / is a command)\n";
}

std::string unknown_command_hint(std::string_view command) {
  return fmt::format("unknown command {}; /help lists them\n", printable(command));
}

void run_typed_line(const TypedLine& line, const Typist& typist, const CommandHandlers& on) {
  switch (line.kind) {
    case TypedLine::Kind::message: {
      const std::string text = line.text + "\n";
      if (on.send(wire::bytes_of(text))) {
        if (typist.progress != nullptr) {
          typist.progress->sent(text.size());
        }
        on.show(format_for(typist.view, typist.self, line.text));
      }
      return;
    }
    case TypedLine::Kind::quit:
      on.quit();
      return;
    case TypedLine::Kind::help:
      on.show(command_help());
      return;
    case TypedLine::Kind::who:
      on.show(on.who());
      return;
    case TypedLine::Kind::fingerprint:
      on.show(on.fingerprints());
      return;
    case TypedLine::Kind::verify:
      on.show(on.verify());
      return;
    case TypedLine::Kind::unknown:
      on.show(unknown_command_hint(line.text));
      return;
  }
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
