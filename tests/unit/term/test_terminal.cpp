// What the interactive chat's terminal decides without a terminal: whether to colour, which
// colour a sender gets, whether the line editor can be used, and display widths.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "term/colour.hpp"
#include "term/line_editor.hpp"
#include "test_support.hpp"
#include "wire/room_messages.hpp"

using namespace cryptochat;
using test::participant;

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
