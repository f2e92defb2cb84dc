// Colours on the terminal: one per sender, chosen from a hash of its key so a person keeps the
// same colour in every session and on every screen; none unless wanted (see colour_wanted).
#pragma once

#include <fmt/color.h>

#include <string>
#include <string_view>

#include "wire/bytes.hpp"

namespace cryptochat::term {

// Colour only on a terminal, and never when the user said no: the --no-color option, or the
// NO_COLOR environment variable set to anything non-empty (https://no-color.org).
bool colour_wanted(int fd, bool no_color_option);
// The same decision from its parts (what the tests check).
bool colour_wanted(bool is_terminal, bool no_color_option, const char* no_color_env);

// The colour of the sender whose key hashes to key_hash (SHA-256, uniform: any byte of it
// picks evenly among the palette).
fmt::terminal_color sender_colour(wire::ByteView key_hash);

// text in that colour (bold), or text unchanged when colour is off.
std::string paint(std::string_view text, wire::ByteView key_hash, bool colour);

}  // namespace cryptochat::term
