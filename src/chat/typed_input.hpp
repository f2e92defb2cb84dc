// What a person types at a terminal, cut into messages: each line is one message, and a line
// that is only a quit word (`sair`, the original chat's, or `/quit`) ends the chat. In the
// interactive chat (a terminal on both ends, term/line_editor.hpp), a line that starts with
// "/" is a command (interpret_line); "//" at the start sends one literal "/".
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "chat/terminal_view.hpp"
#include "util/progress.hpp"
#include "wire/bytes.hpp"
#include "wire/room_messages.hpp"

namespace cryptochat::chat {

bool is_quit_word(std::string_view line);

struct TypedLine {
  enum class Kind {
    message,      // `text` is the message to send (without its newline)
    quit,         // sair or /quit
    help,         // /help
    who,          // /who: who is in the chat
    fingerprint,  // /fingerprint: this side's and the peer's
    verify,       // /verify: the SAS words of the session and both fingerprints
    unknown,      // any other /command, never sent; `text` is the command word, e.g. "/foo"
  };
  Kind kind = Kind::message;
  std::string text;
};

// What a line typed in the interactive chat means. A command is the whole line (spaces after it
// ignored); anything after a command word makes it unknown, so a mistyped command is never sent
// as a message by accident.
TypedLine interpret_line(std::string_view line);

// The /help text: one line per command, each ending in '\n'.
std::string_view command_help();
// The answer to an unknown command (TypedLine::text), a line safe to print.
std::string unknown_command_hint(std::string_view command);

// What differs between the chats that take typed lines (the one-to-one session and a room's
// operator); run_typed_line does the rest, so both answer the same commands the same way.
struct CommandHandlers {
  // Sends a message line (with its newline); false when it was not sent (and said why).
  std::function<bool(wire::ByteView line)> send;
  std::function<void()> quit;
  std::function<std::string()> who;                 // the /who answer, lines ending in '\n'
  std::function<std::string()> fingerprints;        // the /fingerprint answer
  std::function<std::string()> verify;              // the /verify answer (chat/verify.hpp)
  std::function<void(std::string_view text)> show;  // output, above the line being typed
};

// Who is typing: their own lines are shown as everyone else's are, and counted by --progress.
struct Typist {
  const wire::Participant& self;
  ViewOutput view;  // how this side's own lines are shown
  ProgressMeter* progress = nullptr;
};

// Carries out one interpreted line.
void run_typed_line(const TypedLine& line, const Typist& typist, const CommandHandlers& on);

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
