#include <doctest/doctest.h>

#include "util/text.hpp"

using cryptochat::printable;

namespace {
const std::string kFffd = "\xEF\xBF\xBD";
}

TEST_CASE("printable keeps text and UTF-8, and neutralises every control character") {
  CHECK(printable("hello, world") == "hello, world");
  CHECK(printable("ol\xC3\xA1 \xE2\x82\xAC \xF0\x9F\x98\x80") ==
        "ol\xC3\xA1 \xE2\x82\xAC \xF0\x9F\x98\x80");
  CHECK(printable("a\tb") == "a\tb");
  // Escape sequences lose their introducer: no colour changes, cursor moves or title sets.
  CHECK(printable("\x1b[31mred") == kFffd + "[31mred");
  CHECK(printable("\x1b]0;title\x07") == kFffd + "]0;title" + kFffd);
  CHECK(printable("line\rover") == "line" + kFffd + "over");
  CHECK(printable("a\nb") == "a" + kFffd + "b");
  CHECK(printable("a\nb", true) == "a\nb");
  CHECK(printable(std::string("nul\0byte", 8)) == "nul" + kFffd + "byte");
  CHECK(printable("del\x7f") == "del" + kFffd);
}

TEST_CASE("printable refuses malformed UTF-8 and C1 controls") {
  // C1 CSI encoded as UTF-8: both bytes are replaced, so no C1 control reaches the terminal.
  CHECK(printable("\xC2\x9B"
                  "2J") == kFffd + kFffd + "2J");
  CHECK(printable("\x9B"
                  "2J") == kFffd + "2J");                     // raw C1 CSI byte
  CHECK(printable("\xC0\xAF") == kFffd + kFffd);              // overlong '/'
  CHECK(printable("\xED\xA0\x80") == kFffd + kFffd + kFffd);  // a UTF-16 surrogate
  CHECK(printable("\xE2\x82") == kFffd + kFffd);              // truncated sequence
  CHECK(printable("\xF5\x80\x80\x80").find('\x80') == std::string::npos);
}

TEST_CASE("printable shows format and bidi characters and line separators visibly") {
  CHECK(printable("a\xE2\x80\xAE"
                  "b") == "a<U+202E>b");  // right-to-left override
  CHECK(printable("a\xE2\x80\x8B"
                  "b") == "a<U+200B>b");  // zero width space
  CHECK(printable("a\xE2\x80\xA8"
                  "b") == "a<U+2028>b");  // line separator
  CHECK(printable("\xEF\xBB\xBF"
                  "x") == "<U+FEFF>x");                 // byte order mark
  CHECK(printable("\xF3\xA0\x80\x81") == "<U+E0001>");  // language tag
  // The joiners emoji and some scripts need are kept.
  CHECK(printable("\xE2\x80\x8D\xE2\x80\x8C") == "\xE2\x80\x8D\xE2\x80\x8C");
  CHECK(printable(printable("a\xE2\x80\xAE")) == printable("a\xE2\x80\xAE"));
}

TEST_CASE("the name rule: stripped, spaces folded, compared without ASCII case") {
  using cryptochat::name_key;
  using cryptochat::normalise_name;
  using cryptochat::shown_name;
  CHECK(normalise_name("alice").name == "alice");
  CHECK(normalise_name("alice").problem.empty());
  // Format, bidi, invisible characters, controls and tabs go; the rest stays.
  CHECK(normalise_name("al\xE2\x80\x8Bice").name == "alice");  // U+200B
  CHECK(normalise_name("\xE2\x80\xAE"
                       "ecila")
            .name == "ecila");                                             // U+202E
  CHECK(normalise_name("al\tice\xE2\x80\xA8").name == "alice");            // tab, U+2028
  CHECK(normalise_name("al\xE2\x81\xA6ice\xE2\x81\xA9").name == "alice");  // U+2066..2069
  CHECK(normalise_name("alice\xEF\xB8\x8F").name == "alice");              // variation selector
  CHECK(normalise_name("al\xC2\xADice").name == "alice");                  // soft hyphen
  CHECK(normalise_name("\xC3\xA9lise").name == "\xC3\xA9lise");
  // Space separators: one ASCII space, none at the ends.
  CHECK(normalise_name("  ann \xC2\xA0\xE3\x80\x80 lee ").name == "ann lee");
  // Compared by the normal form with ASCII case folded.
  CHECK(name_key("ALICE") == "alice");
  CHECK(name_key("Alice\xE2\x80\x8B ") == name_key("alice"));
  CHECK(name_key("\xC3\x89lise") != name_key("\xC3\xA9lise"));  // only ASCII is folded
  // Refused: invalid UTF-8, a colon or a look-alike, nothing visible.
  CHECK(normalise_name("bob: yes").problem == "it holds ':'");
  CHECK(normalise_name("bob\xEF\xBC\x9A yes").problem == "it holds ':'");  // U+FF1A
  CHECK(normalise_name("bob\xEA\x9E\x89").problem == "it holds ':'");      // U+A789
  CHECK(normalise_name("bob\xFF").problem == "it is not valid UTF-8");
  CHECK(normalise_name("\xE2\x80\x8B\t ").problem == "it holds nothing visible");
  CHECK(normalise_name("").problem == "it holds nothing visible");
  CHECK(shown_name("\xE2\x80\x8B") == "?");
  CHECK(shown_name("bob: yes") == "bob\xEF\xBF\xBD yes");
  // Idempotent.
  for (const char* raw : {"  a\tb\xE2\x80\xAE c ", "x\xFFy", "p:q"}) {
    const std::string once = normalise_name(raw).name;
    CHECK(normalise_name(once).name == once);
  }
}
