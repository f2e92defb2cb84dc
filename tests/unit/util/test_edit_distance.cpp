#include <doctest/doctest.h>

#include "util/edit_distance.hpp"

using cryptochat::closest_match;
using cryptochat::edit_distance;

TEST_CASE("edit_distance counts insertions, deletions, substitutions and swaps") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("serve", "serve") == 0);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("abc", "") == 3);
  CHECK(edit_distance("serv", "serve") == 1);        // insertion
  CHECK(edit_distance("connectt", "connect") == 1);  // deletion
  CHECK(edit_distance("keygan", "keygen") == 1);     // substitution
  CHECK(edit_distance("--prot", "--port") == 1);     // neighbours swapped
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("ca", "abc") == 3);  // no edit is made twice (optimal string alignment)
  CHECK(edit_distance("Serve", "serve") == 1);
}

TEST_CASE("closest_match suggests only what is close enough") {
  const std::vector<std::string> subcommands{"keygen", "serve", "connect", "help"};
  CHECK(closest_match("serv", subcommands) == "serve");
  CHECK(closest_match("KEYGEN", subcommands) == "keygen");  // case is ignored
  CHECK(closest_match("conect", subcommands) == "connect");
  CHECK(closest_match("hlep", subcommands) == "help");
  CHECK_FALSE(closest_match("frobnicate", subcommands));
  CHECK_FALSE(closest_match("serve", subcommands));  // nothing to correct
  CHECK_FALSE(closest_match("", subcommands));
  const std::vector<std::string> options{"--port", "--bind", "--once", "--name"};
  CHECK(closest_match("--prot", options) == "--port");
  CHECK(closest_match("--onse", options) == "--once");
  CHECK_FALSE(closest_match("--frobnicate", options));
  // Two edits in a two-letter word change all of it.
  CHECK_FALSE(closest_match("ab", {"cd"}));
  // Ties go to the first candidate.
  CHECK(closest_match("--nome", {"--name", "--home"}) == "--name");
}
