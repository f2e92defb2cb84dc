#include <doctest/doctest.h>

#include "util/secret.hpp"

using cryptochat::Secret;

TEST_CASE("Secret keeps its value and empties on clear and move") {
  Secret s{std::string("a long passphrase that is not in the small-string buffer")};
  CHECK(s.view() == "a long passphrase that is not in the small-string buffer");
  Secret moved(std::move(s));
  CHECK(s.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is the point
  CHECK(moved.size() == 56);
  moved.clear();
  CHECK(moved.empty());
}

TEST_CASE("wipe zeroes memory") {
  char buf[8] = {'s', 'e', 'c', 'r', 'e', 't', '!', '!'};
  cryptochat::wipe(buf, sizeof buf);
  for (const char c : buf) {
    CHECK(c == 0);
  }
}
