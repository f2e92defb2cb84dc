// Making text from a peer safe to show on a terminal.
#pragma once

#include <string>
#include <string_view>

namespace cryptochat {

// Keeps printable ASCII and well-formed UTF-8 (except C1 controls); every control character,
// escape sequence introducer and invalid byte becomes U+FFFD, so a peer can neither move the
// cursor nor recolour the screen. Tabs are kept; newlines are kept only when keep_newlines.
std::string printable(std::string_view text, bool keep_newlines = false);

}  // namespace cryptochat
