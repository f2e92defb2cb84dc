// How the interactive chat shows a message: time, name, text, the peer's escapes neutralised,
// rows broken by the program with a continuation marker (chat::format_message), and the names
// two keys used shown with fingerprints (chat::NameBook).
#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "chat/terminal_view.hpp"
#include "crypto/fingerprint.hpp"
#include "test_support.hpp"
#include "wire/room_messages.hpp"

using namespace cryptochat;
using test::participant;

namespace {

std::vector<std::string> rows_of(const std::string& text) {
  std::vector<std::string> rows;
  std::istringstream in(text);
  for (std::string row; std::getline(in, row);) {
    rows.push_back(row);
  }
  return rows;
}

chat::LineStyle plain(std::size_t width) {
  chat::LineStyle style;
  style.width = width;
  return style;
}

}  // namespace

TEST_CASE("a message line: time, name, text; the peer's escapes neutralised, colour ours") {
  const auto evil = participant("ev\x1b[2Jil", 0x07);
  const std::string shown =
      chat::format_message(evil, "hi\x1b]0;owned\x07 there\r", chat::LineStyle{});
  CHECK(shown.size() > 11);
  CHECK(shown[0] == '[');
  CHECK(shown[9] == ']');
  CHECK(shown.find('\x1b') == std::string::npos);
  CHECK(shown.find('\x07') == std::string::npos);
  CHECK(shown.find('\r') == std::string::npos);
  CHECK(shown.ends_with(" there\n"));
  chat::LineStyle colour;
  colour.colour = true;
  const std::string coloured = chat::format_message(evil, "hi", colour);
  // The only escapes are the colour's own: one to start it, one to reset.
  CHECK(coloured.find("\x1b[2J") == std::string::npos);
  CHECK(coloured.ends_with(": hi\n"));
}

TEST_CASE("a message wider than the terminal: every row after the first is marked") {
  const auto mallory = participant("mallory", 0x11);
  // The forgery of issue 16: padding that puts a fake line at the start of the next row.
  const std::string fake = "[12:00:00] bob: yes, I sent her the password";
  for (const std::size_t width : {20U, 40U, 80U, 120U}) {
    CAPTURE(width);
    const std::string pad(width, ' ');
    const auto rows = rows_of(chat::format_message(mallory, "ok" + pad + fake, plain(width)));
    REQUIRE(rows.size() >= 2);
    CHECK(rows[0].starts_with("["));
    if (width >= 40) {
      CHECK(rows[0].find(" mallory: ok") == 10);
    }
    for (std::size_t i = 1; i < rows.size(); ++i) {
      CAPTURE(rows[i]);
      CHECK(rows[i].starts_with(chat::kContinuation));
    }
    for (const auto& row : rows) {
      CHECK(row.size() <= width - 1);  // ASCII: one byte, one column; one column spare
    }
  }
  // Without a width (not a terminal), nothing is broken.
  CHECK(rows_of(chat::format_message(mallory, std::string(500, 'x'), plain(0))).size() == 1);
}

TEST_CASE("a message's lines after the first are continuation rows; tabs, bidi shown visibly") {
  const auto mallory = participant("mallory", 0x11);
  const auto rows = rows_of(chat::format_message(mallory,
                                                 "one\n[12:00:00] bob: forged\ta\xE2\x80\xAE"
                                                 "b\xE2\x80\xA8"
                                                 "c\n",
                                                 plain(80)));
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].ends_with("] mallory: one"));
  CHECK(rows[1] == "  | [12:00:00] bob: forged    a<U+202E>b<U+2028>c");
}

TEST_CASE("wide characters are measured wide: no row runs past the edge") {
  const auto p = participant("p", 0x22);
  std::string text;
  for (int i = 0; i < 100; ++i) {
    text += "\xE7\x95\x8C";  // U+754C, two columns
  }
  const auto rows = rows_of(chat::format_message(p, text, plain(30)));
  REQUIRE(rows.size() > 3);
  for (std::size_t i = 1; i < rows.size(); ++i) {
    CHECK(rows[i].starts_with(chat::kContinuation));
    // The marker (4) and at most 25 columns: 12 characters, each counted 2 (or 3: one per byte
    // in a locale that does not know UTF-8).
    CHECK(rows[i].size() <= chat::kContinuation.size() + 12 * 3);
  }
}

TEST_CASE("a name two keys used is shown with the short fingerprint, from then on") {
  chat::NameBook names;
  const auto alice = participant("alice", 0xA1);
  const auto impostor = participant("ALICE\xE2\x80\x8B", 0xB2);  // "ALICE" + U+200B
  const auto bob = participant("bob", 0xB0);
  names.note(alice);
  names.note(bob);
  CHECK_FALSE(names.shared(alice));
  names.note(impostor);
  CHECK(names.shared(alice));
  CHECK(names.shared(impostor));
  CHECK_FALSE(names.shared(bob));
  chat::ViewOutput out;
  out.width = 200;
  out.names = &names;
  const std::string line = chat::format_for(out, impostor, "it's me");
  const std::string fp = crypto::short_fingerprint(crypto::fingerprint_of_hash(impostor.key_hash));
  CHECK(fp.size() == 7 + 16);
  CHECK(line.find("] ALICE (" + fp + "): it's me\n") != std::string::npos);
  CHECK(chat::format_for(out, bob, "hi").find("] bob: hi\n") != std::string::npos);
}
