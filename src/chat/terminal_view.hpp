// How received messages look on a terminal: "[HH:MM:SS] name: text", with every control
// character and escape sequence from the peer neutralised (UTF-8 kept) and its format and bidi
// characters shown as "<U+202E>" (util/text.hpp). A message wider than the terminal is broken
// into rows by this program, never by the terminal: every row after a message's first starts
// with the continuation marker "  | ", so no text of a message can start a row and look like
// another message. In the interactive chat the name is coloured by the sender's key
// (term/colour.hpp) and the lines go above the line being typed (term/line_editor.hpp).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "term/line_editor.hpp"
#include "wire/bytes.hpp"
#include "wire/room_messages.hpp"

namespace cryptochat::chat {

// The names shown on this screen, and by which keys: a name (compared by name_key) that two keys
// have used here is shown with the short fingerprint of the key, on every line from then on.
// Bounded: once it holds kMaxNames names, every name it does not know is shown with its
// fingerprint.
class NameBook {
 public:
  static constexpr std::size_t kMaxNames = 4096;
  // Notes that p is known here (this side, its peer, a room's events, a message's sender).
  void note(const wire::Participant& p);
  // True when p's lines carry its fingerprint: another key used its name, or the book is full.
  [[nodiscard]] bool shared(const wire::Participant& p) const;

 private:
  struct Entry {
    wire::KeyHash first{};
    bool several = false;
  };
  std::map<std::string, Entry> by_name_;
  bool full_ = false;
};

// Where and how a TerminalView writes.
struct ViewOutput {
  int fd = 1;
  term::LineEditor* editor = nullptr;  // set: lines go above the line being typed
  bool colour = false;
  NameBook* names = nullptr;  // set: names that two keys used are shown with fingerprints
  std::size_t width = 0;      // rows this wide (the tests); 0: the terminal's width now
};

// How one message is laid out.
struct LineStyle {
  std::size_t width = 0;     // the terminal's columns; 0: rows are not broken
  bool colour = false;       // the name (and the continuation marker) in the sender's colour
  bool fingerprint = false;  // the name followed by "(SHA256:" and 16 characters ")"
};

// The continuation marker that starts every row of a message after its first.
inline constexpr std::string_view kContinuation = "  | ";

// The rows showing one message from sender, each ending in '\n': "[HH:MM:SS] name: " and the
// text, its controls neutralised and each tab shown as four spaces. Each line of the text (a
// '\n' in it; one at the end ends the text) and each row the width leaves no room for starts a
// continuation row. A row is at most width - 1 columns (a column to spare for a character the
// terminal draws wider than expected), each character measured wide when in doubt.
std::string format_message(const wire::Participant& sender, std::string_view text,
                           const LineStyle& style);

// format_message as out shows it: its width now, its colour, and the fingerprint when the
// sender's name is shared (noted in out.names first).
std::string format_for(const ViewOutput& out, const wire::Participant& sender,
                       std::string_view text);

class TerminalView {
 public:
  // peer: who sends what show() gets (its name, and the key hash that picks its colour).
  TerminalView(ViewOutput out, wire::Participant peer);
  // Shows complete lines now, each a message of its own; keeps a partial line until its end
  // arrives (or flush()).
  void show(wire::ByteView data);
  void flush();
  // A whole message from someone else (a room relays one record at a time): shown now, even
  // without a newline at its end; its lines after the first as continuation rows.
  void show_message(const wire::Participant& sender, wire::ByteView data);
  // Text of this program's own (command output, notices): written as is, already safe.
  void print(std::string_view text) const;

 private:
  void show_text(const wire::Participant& sender, std::string_view text) const;
  ViewOutput out_;
  wire::Participant peer_;
  std::string partial_;
};

// "name (SHA256:...)", the name as shown (util/text.hpp, shown_name): how /who and
// /fingerprint name people.
std::string describe(const wire::Participant& p);

}  // namespace cryptochat::chat
