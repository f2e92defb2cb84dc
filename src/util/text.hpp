// Making text from a peer safe to show on a terminal.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cryptochat {

// Keeps printable ASCII and well-formed UTF-8 (except C1 controls); every control character,
// escape sequence introducer and invalid byte becomes U+FFFD, so a peer can neither move the
// cursor nor recolour the screen. Tabs are kept; newlines are kept only when keep_newlines.
std::string printable(std::string_view text, bool keep_newlines = false);

// The length of the well-formed UTF-8 sequence of a printable character (not a C1 control)
// starting at text[i] (a byte of 0x80 or more), or 0 when there is none: the rule printable()
// keeps characters by.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i);

// A space or a tab: what separates the fields of the one-line formats (known_hosts, authorized
// keys, ssh-rsa lines).
inline bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

// Removes and returns the first space/tab separated field of text (which must be trimmed at the
// front); text is left trimmed at the front too.
std::string_view take_field(std::string_view& text);

}  // namespace cryptochat
