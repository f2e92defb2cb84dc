// How the interactive chat shows a message line: time, name, text, the peer's escapes
// neutralised (chat::format_line).
#include <doctest/doctest.h>

#include <string>

#include "chat/terminal_view.hpp"
#include "test_support.hpp"
#include "wire/room_messages.hpp"

using namespace cryptochat;
using test::participant;

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
