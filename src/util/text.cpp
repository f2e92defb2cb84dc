#include "util/text.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>

namespace cryptochat {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

struct Range {
  char32_t first;
  char32_t last;
};

// Unicode's format characters (category Cf, Unicode 15.1) and the line and paragraph
// separators U+2028 and U+2029 (Zl, Zp): invisible, and some reorder the text around them.
constexpr std::array kFormat = {
    Range{0x00AD, 0x00AD},   Range{0x0600, 0x0605},   Range{0x061C, 0x061C},
    Range{0x06DD, 0x06DD},   Range{0x070F, 0x070F},   Range{0x0890, 0x0891},
    Range{0x08E2, 0x08E2},   Range{0x180E, 0x180E},   Range{0x200B, 0x200F},
    Range{0x2028, 0x202E},   Range{0x2060, 0x2064},   Range{0x2066, 0x206F},
    Range{0xFEFF, 0xFEFF},   Range{0xFFF9, 0xFFFB},   Range{0x110BD, 0x110BD},
    Range{0x110CD, 0x110CD}, Range{0x13430, 0x1343F}, Range{0x1BCA0, 0x1BCA3},
    Range{0x1D173, 0x1D17A}, Range{0xE0001, 0xE0001}, Range{0xE0020, 0xE007F},
};

// The other default-ignorable code points (shown as nothing, or as a blank, by most
// terminals): the combining grapheme joiner, Hangul fillers, Khmer and Mongolian vowel and
// variation marks, the variation selectors, and the reserved ranges Unicode keeps invisible.
constexpr std::array kInvisible = {
    Range{0x034F, 0x034F}, Range{0x115F, 0x1160},   Range{0x17B4, 0x17B5}, Range{0x180B, 0x180F},
    Range{0x2065, 0x2065}, Range{0x3164, 0x3164},   Range{0xFE00, 0xFE0F}, Range{0xFFA0, 0xFFA0},
    Range{0xFFF0, 0xFFF8}, Range{0xE0000, 0xE0FFF},
};

// Space separators (category Zs) and the blank braille pattern, which looks like one.
constexpr std::array kSpaces = {
    Range{0x0020, 0x0020}, Range{0x00A0, 0x00A0}, Range{0x1680, 0x1680}, Range{0x2000, 0x200A},
    Range{0x202F, 0x202F}, Range{0x205F, 0x205F}, Range{0x2800, 0x2800}, Range{0x3000, 0x3000},
};

// ':' and the characters Unicode lists as confusable with it: in a name, any of them could
// fake the ": " that ends the name on a message line.
constexpr std::array<char32_t, 20> kColons = {
    0x003A, 0x02D0, 0x02F8, 0x0589, 0x05C3, 0x0703, 0x0704, 0x0903, 0x0A83, 0x16EC,
    0x1803, 0x1809, 0x205A, 0x2236, 0xA4FD, 0xA789, 0xFE13, 0xFE30, 0xFE55, 0xFF1A,
};

template <std::size_t N>
bool in(const std::array<Range, N>& ranges, char32_t cp) {
  return std::any_of(ranges.begin(), ranges.end(),
                     [cp](const Range& r) { return cp >= r.first && cp <= r.last; });
}

bool is_colon(char32_t cp) {
  return std::find(kColons.begin(), kColons.end(), cp) != kColons.end();
}

// The joiners kept in messages: emoji sequences and scripts such as Persian need them, and
// they neither hide nor reorder anything.
bool is_joiner(char32_t cp) {
  return cp == 0x200C || cp == 0x200D;
}

struct Decoded {
  std::size_t length = 0;  // 0: not a well-formed sequence
  char32_t cp = 0;
};

// The well-formed UTF-8 sequence starting at text[i] (ASCII included).
Decoded decode(std::string_view text, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  if (b0 < 0x80) {
    return {1, b0};
  }
  std::size_t len = 0;
  std::uint32_t cp = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1FU;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0FU;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07U;
  } else {
    return {};
  }
  if (i + len > text.size()) {
    return {};
  }
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(text[i + k]);
    if ((b & 0xC0U) != 0x80U) {
      return {};
    }
    cp = (cp << 6U) | (b & 0x3FU);
  }
  const bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
  const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
  if (overlong || surrogate || cp > 0x10FFFF) {
    return {};
  }
  return {len, static_cast<char32_t>(cp)};
}

bool is_c1(char32_t cp) {
  return cp >= 0x80 && cp <= 0x9F;
}

std::string code_point_label(char32_t cp) {
  std::array<char, 16> buf{};
  const int n = std::snprintf(buf.data(), buf.size(), "<U+%04X>", static_cast<unsigned>(cp));
  return {buf.data(), n > 0 ? static_cast<std::size_t>(n) : 0};
}

}  // namespace

std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const Decoded d = decode(text, i);
  return d.length == 0 || is_c1(d.cp) ? 0 : d.length;
}

std::string printable(std::string_view text, bool keep_newlines) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool plain = c >= 0x20 && c < 0x7F;
    if (plain || c == '\t' || (keep_newlines && c == '\n')) {
      out.push_back(static_cast<char>(c));
      ++i;
    } else if (c >= 0x80) {
      const Decoded d = decode(text, i);
      if (d.length == 0 || is_c1(d.cp)) {
        // A C1 control is replaced byte by byte, like an invalid sequence.
        out.append(kReplacement);
        ++i;
      } else if (in(kFormat, d.cp) && !is_joiner(d.cp)) {
        out.append(code_point_label(d.cp));
        i += d.length;
      } else {
        out.append(text.substr(i, d.length));
        i += d.length;
      }
    } else {
      out.append(kReplacement);
      ++i;
    }
  }
  return out;
}

NormalName normalise_name(std::string_view raw) {
  NormalName result;
  bool space_due = false;  // a space separator came after something visible
  const auto keep = [&](std::string_view piece) {
    if (space_due) {
      result.name.push_back(' ');
      space_due = false;
    }
    result.name.append(piece);
  };
  const auto problem = [&](const char* why) {
    if (result.problem.empty()) {
      result.problem = why;
    }
  };
  for (std::size_t i = 0; i < raw.size();) {
    const Decoded d = decode(raw, i);
    if (d.length == 0) {
      problem("it is not valid UTF-8");
      keep(kReplacement);
      ++i;
      continue;
    }
    const char32_t cp = d.cp;
    if (in(kSpaces, cp)) {
      space_due = !result.name.empty();
    } else if (cp < 0x20 || cp == 0x7F || is_c1(cp) || in(kFormat, cp) || in(kInvisible, cp)) {
      // removed: controls (tabs and newlines too), format, bidi and invisible characters
    } else if (is_colon(cp)) {
      problem("it holds ':'");
      keep(kReplacement);
    } else {
      keep(raw.substr(i, d.length));
    }
    i += d.length;
  }
  if (result.name.empty()) {
    problem("it holds nothing visible");
  }
  return result;
}

std::string shown_name(std::string_view raw) {
  std::string name = normalise_name(raw).name;
  return name.empty() ? std::string("?") : name;
}

std::string name_key(std::string_view raw) {
  std::string key = normalise_name(raw).name;
  for (char& c : key) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return key;
}

std::string_view take_field(std::string_view& text) {
  std::size_t end = 0;
  while (end < text.size() && !is_blank(text[end])) {
    ++end;
  }
  const std::string_view field = text.substr(0, end);
  text.remove_prefix(end);
  while (!text.empty() && is_blank(text.front())) {
    text.remove_prefix(1);
  }
  return field;
}

}  // namespace cryptochat
