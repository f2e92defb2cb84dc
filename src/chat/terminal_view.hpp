// How received messages look on a terminal: "[HH:MM:SS] name: text", one line each, with every
// control character and escape sequence from the peer neutralised (UTF-8 kept). In the
// interactive chat the name is coloured by the sender's key (term/colour.hpp) and the lines go
// above the line being typed (term/line_editor.hpp).
#pragma once

#include <string>
#include <string_view>

#include "term/line_editor.hpp"
#include "wire/bytes.hpp"
#include "wire/room_messages.hpp"

namespace cryptochat::chat {

// Where and how a TerminalView writes.
struct ViewOutput {
  int fd = 1;
  term::LineEditor* editor = nullptr;  // set: lines go above the line being typed
  bool colour = false;
};

class TerminalView {
 public:
  // peer: who sends what show() gets (its name, and the key hash that picks its colour).
  TerminalView(ViewOutput out, wire::Participant peer);
  // Shows complete lines now; keeps a partial line until its end arrives (or flush()).
  void show(wire::ByteView data);
  void flush();
  // A whole message from someone else (a room relays one record at a time): every line of it
  // now, the last one even without its newline.
  void show_message(const wire::Participant& sender, wire::ByteView data);
  // Text of this program's own (command output, notices): written as is, already safe.
  void print(std::string_view text) const;

 private:
  void show_line(const wire::Participant& sender, std::string_view line) const;
  ViewOutput out_;
  wire::Participant peer_;
  std::string partial_;
};

// "[HH:MM:SS] name: text\n" with name and text made safe to show, the name coloured by the
// sender's key when colour is on.
std::string format_line(const wire::Participant& sender, std::string_view line, bool colour);

// "name (SHA256:...)", the name made safe to show: how /who and /fingerprint name people.
std::string describe(const wire::Participant& p);

}  // namespace cryptochat::chat
