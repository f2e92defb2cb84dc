// What the interactive chat decides without a terminal: the meaning of a typed line, whether
// to colour, which colour a sender gets, and how a message line looks.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "chat/terminal_view.hpp"
#include "chat/typed_input.hpp"
#include "term/colour.hpp"
#include "term/line_editor.hpp"

using namespace cryptochat;
using chat::TypedLine;

namespace {

wire::Participant participant(std::string name, std::uint8_t fill) {
  wire::Participant p;
  p.key_hash.fill(fill);
  p.name = std::move(name);
  return p;
}

}  // namespace

TEST_CASE("a typed line is a message unless it starts with /") {
  for (const char* text : {"hello", "", " /who", "sair é bom", "a/b", "quit", "/quit is here?"}) {
    CAPTURE(text);
    const TypedLine typed = chat::interpret_line(text);
    if (std::string_view(text).starts_with('/')) {
      CHECK(typed.kind == TypedLine::Kind::unknown);
    } else {
      CHECK(typed.kind == TypedLine::Kind::message);
      CHECK(typed.text == text);
    }
  }
}

TEST_CASE("the commands, with spaces after them ignored") {
  CHECK(chat::interpret_line("/help").kind == TypedLine::Kind::help);
  CHECK(chat::interpret_line("/who").kind == TypedLine::Kind::who);
  CHECK(chat::interpret_line("/who  ").kind == TypedLine::Kind::who);
  CHECK(chat::interpret_line("/fingerprint").kind == TypedLine::Kind::fingerprint);
  CHECK(chat::interpret_line("/fingerprint\t").kind == TypedLine::Kind::fingerprint);
  CHECK(chat::interpret_line("/quit").kind == TypedLine::Kind::quit);
  CHECK(chat::interpret_line("/quit ").kind == TypedLine::Kind::quit);
  CHECK(chat::interpret_line("sair").kind == TypedLine::Kind::quit);
  // sair is a word, not a command: with anything around it, it is said.
  CHECK(chat::interpret_line("sair ").kind == TypedLine::Kind::message);
}

TEST_CASE("an unknown or malformed command is named and never a message") {
  struct Case {
    const char* line;
    const char* word;
  };
  for (const auto& c : {Case{"/foo", "/foo"}, Case{"/foo bar baz", "/foo"}, Case{"/", "/"},
                        Case{"/ hi", "/"}, Case{"/WHO", "/WHO"}, Case{"/who me", "/who"},
                        Case{"/help\tme", "/help"}, Case{"/usr/bin", "/usr/bin"}}) {
    CAPTURE(c.line);
    const TypedLine typed = chat::interpret_line(c.line);
    CHECK(typed.kind == TypedLine::Kind::unknown);
    CHECK(typed.text == c.word);
  }
}

TEST_CASE("// at the start sends one literal /") {
  CHECK(chat::interpret_line("//who").kind == TypedLine::Kind::message);
  CHECK(chat::interpret_line("//who").text == "/who");
  CHECK(chat::interpret_line("//").text == "/");
  CHECK(chat::interpret_line("///x").text == "//x");
  CHECK(chat::interpret_line("//quit").text == "/quit");
}

TEST_CASE("/help names every command") {
  const std::string help(chat::command_help());
  for (const char* word : {"/help", "/who", "/fingerprint", "/quit", "sair", "//"}) {
    CAPTURE(word);
    CHECK(help.find(word) != std::string::npos);
  }
  CHECK(help.back() == '\n');
}

TEST_CASE("colour only on a terminal, never with --no-color or a non-empty NO_COLOR") {
  CHECK(term::colour_wanted(true, false, nullptr));
  CHECK(term::colour_wanted(true, false, ""));  // set but empty: no-color.org says ignore it
  CHECK_FALSE(term::colour_wanted(false, false, nullptr));
  CHECK_FALSE(term::colour_wanted(true, true, nullptr));
  CHECK_FALSE(term::colour_wanted(true, false, "1"));
  CHECK_FALSE(term::colour_wanted(true, false, "0"));  // any value counts, even "0"
  CHECK_FALSE(term::colour_wanted(false, true, "yes"));
}

TEST_CASE("a sender's colour depends only on its key, and keys spread over the palette") {
  const auto a = participant("alice", 0x11);
  const auto a_renamed = participant("mallory", 0x11);
  CHECK(term::sender_colour(a.key_hash) == term::sender_colour(a_renamed.key_hash));
  std::set<int> seen;
  for (int fill = 0; fill < 64; ++fill) {
    const auto p = participant("x", static_cast<std::uint8_t>(fill));
    seen.insert(static_cast<int>(term::sender_colour(p.key_hash)));
  }
  CHECK(seen.size() >= 8);
  // Never black or white, which vanish on one background or the other.
  CHECK(seen.count(static_cast<int>(fmt::terminal_color::black)) == 0);
  CHECK(seen.count(static_cast<int>(fmt::terminal_color::white)) == 0);
}

TEST_CASE("paint adds escape codes only when colour is on") {
  const auto a = participant("alice", 0x42);
  CHECK(term::paint("alice", a.key_hash, false) == "alice");
  const std::string painted = term::paint("alice", a.key_hash, true);
  CHECK(painted.starts_with("\x1b["));
  CHECK(painted.find("alice") != std::string::npos);
  CHECK(painted.ends_with("\x1b[0m"));
}

TEST_CASE("a message line: time, name, text; the peer's escapes neutralised, colour ours") {
  const auto evil = participant("ev\x1b[2Jil", 0x07);
  const std::string plain = chat::format_line(evil, "hi\x1b]0;owned\x07 there\r", false);
  CHECK(plain.size() > 11);
  CHECK(plain[0] == '[');
  CHECK(plain[9] == ']');
  CHECK(plain.find('\x1b') == std::string::npos);
  CHECK(plain.find('\x07') == std::string::npos);
  CHECK(plain.find('\r') == std::string::npos);
  CHECK(plain.ends_with(" there\n"));
  const std::string coloured = chat::format_line(evil, "hi", true);
  // The only escapes are the colour's own: one to start it, one to reset.
  CHECK(coloured.find("\x1b[2J") == std::string::npos);
  CHECK(coloured.ends_with(": hi\n"));
}

TEST_CASE("line editing only where the terminal can be redrawn") {
  CHECK(term::can_redraw("xterm-256color"));
  CHECK(term::can_redraw("screen"));
  CHECK_FALSE(term::can_redraw(nullptr));
  CHECK_FALSE(term::can_redraw(""));
  CHECK_FALSE(term::can_redraw("dumb"));
}

TEST_CASE("display width counts columns, not bytes") {
  CHECK(term::display_width("") == 0);
  CHECK(term::display_width("> hello") == 7);
  CHECK(term::display_width("\xff\xfe") == 2);  // invalid bytes: one column each
}
