// Making text from a peer safe to show on a terminal, and the one rule for display names.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cryptochat {

// Keeps printable ASCII and well-formed UTF-8 (except C1 controls); every control character,
// escape sequence introducer and invalid byte becomes U+FFFD, so a peer can neither move the
// cursor nor recolour the screen. Format and bidi characters (Unicode category Cf: U+200B,
// U+202E, U+2066, U+FEFF, ...) and the line and paragraph separators U+2028/U+2029 are shown
// as "<U+202E>", so they can neither hide text nor reorder it; only U+200C and U+200D (the
// joiners that emoji and some scripts need) are kept. Tabs are kept; newlines are kept only
// when keep_newlines.
std::string printable(std::string_view text, bool keep_newlines = false);

// The length of the well-formed UTF-8 sequence of a printable character (not a C1 control)
// starting at text[i] (a byte of 0x80 or more), or 0 when there is none: the rule printable()
// keeps characters by.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i);
// A display name in normal form (PROTOCOL.md section 9, "Names"): the one rule every side
// applies before it compares or shows a name.
struct NormalName {
  // Controls (tabs included), format and bidi characters, other default-ignorable (invisible)
  // code points and the line/paragraph separators removed; every space separator (U+00A0,
  // U+3000, ...) made one ASCII space, runs of them one, none at either end. An invalid byte
  // and a colon or colon look-alike (which could fake the ": " after a name) are U+FFFD here.
  std::string name;
  // Empty when the name may be used; otherwise why not: "it is not valid UTF-8", "it holds
  // ':'", "it holds nothing visible" (a room server refuses such a name).
  std::string problem;
};
NormalName normalise_name(std::string_view raw);
// How a name is shown: its normal form, "?" when nothing visible is left.
std::string shown_name(std::string_view raw);
// What two names are compared by: the normal form with ASCII letters lowercased (so "ALICE",
// "alice\u200B" and " alice" are "alice"). Other letters are compared as they are.
std::string name_key(std::string_view raw);

// A space or a tab: what separates the fields of the one-line formats (known_hosts, authorized
// keys, ssh-rsa lines).
inline bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

// Removes and returns the first space/tab separated field of text (which must be trimmed at the
// front); text is left trimmed at the front too.
std::string_view take_field(std::string_view& text);

}  // namespace cryptochat
