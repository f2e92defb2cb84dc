#include "term/colour.hpp"

#include <unistd.h>

#include <array>
#include <cstdlib>
#include <numeric>

namespace cryptochat::term {

namespace {

// Readable on dark and light backgrounds alike: no black, white, grey or dark blue.
constexpr std::array kPalette = {
    fmt::terminal_color::red,          fmt::terminal_color::green,
    fmt::terminal_color::yellow,       fmt::terminal_color::magenta,
    fmt::terminal_color::cyan,         fmt::terminal_color::bright_red,
    fmt::terminal_color::bright_green, fmt::terminal_color::bright_yellow,
    fmt::terminal_color::bright_blue,  fmt::terminal_color::bright_magenta,
    fmt::terminal_color::bright_cyan,
};

}  // namespace

bool colour_wanted(bool is_terminal, bool no_color_option, const char* no_color_env) {
  const bool env_says_no = no_color_env != nullptr && *no_color_env != '\0';
  return is_terminal && !no_color_option && !env_says_no;
}

bool colour_wanted(int fd, bool no_color_option) {
  return colour_wanted(::isatty(fd) != 0, no_color_option,
                       std::getenv("NO_COLOR"));  // NOLINT(concurrency-mt-unsafe)
}

fmt::terminal_color sender_colour(wire::ByteView key_hash) {
  // Folding all the bytes keeps the choice even if a caller passes something not uniform.
  const unsigned sum = std::accumulate(key_hash.begin(), key_hash.end(), 0U,
                                       [](unsigned acc, std::uint8_t b) { return acc * 31U + b; });
  return kPalette.at(sum % kPalette.size());
}

std::string paint(std::string_view text, wire::ByteView key_hash, bool colour) {
  if (!colour) {
    return std::string(text);
  }
  return fmt::format(fmt::fg(sender_colour(key_hash)) | fmt::emphasis::bold, "{}", text);
}

}  // namespace cryptochat::term
