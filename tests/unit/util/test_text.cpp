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
