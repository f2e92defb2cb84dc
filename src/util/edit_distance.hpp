// How far apart two words are, for "did you mean ...?" hints on mistyped commands and options.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cryptochat {

// The optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// neighbouring characters each cost 1 ("serv" -> "serve" is 1, "--prot" -> "--port" is 1).
// Bytes are compared as they are (case counts).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to word, ignoring case, when it is close enough to be what was meant:
// at most 2 edits, and fewer than half of the longer word's length (so "-x" suggests nothing).
// Ties go to the earlier candidate. nullopt when none is close or word is one of them.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

}  // namespace cryptochat
