// printable() with and without keep_newlines, and the name rule (normalise_name): a normal name
// holds no control byte, no leading, trailing or double space, and is its own normal form.
// printable()'s output must be valid UTF-8 without
// surrogates, overlong forms or C1 controls, hold no control byte but '\t' (and '\n' when
// newlines are kept) and no DEL, and printable() of it must be itself.
#include "fuzz_common.hpp"
#include "util/text.hpp"

using namespace cryptochat;

namespace {

// Length of the valid UTF-8 sequence at s[i] (1 for ASCII), 0 when invalid.
std::size_t utf8_sequence(std::string_view s, std::size_t i, std::uint32_t* cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  if ((b0 & 0xE0U) == 0xC0U) {
    len = 2;
    *cp = b0 & 0x1FU;
  } else if ((b0 & 0xF0U) == 0xE0U) {
    len = 3;
    *cp = b0 & 0x0FU;
  } else if ((b0 & 0xF8U) == 0xF0U) {
    len = 4;
    *cp = b0 & 0x07U;
  } else {
    return 0;
  }
  if (i + len > s.size()) {
    return 0;
  }
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0U) != 0x80U) {
      return 0;
    }
    *cp = (*cp << 6U) | (b & 0x3FU);
  }
  static constexpr std::uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  if (*cp < kMinForLength[len] || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) {
    return 0;
  }
  return len;
}

void check_output(std::string_view out, bool keep_newlines) {
  for (std::size_t i = 0; i < out.size();) {
    std::uint32_t cp = 0;
    const std::size_t len = utf8_sequence(out, i, &cp);
    fuzz::check(len != 0, "printable() output is not valid UTF-8");
    if (cp < 0x20) {
      fuzz::check(cp == '\t' || (keep_newlines && cp == '\n'),
                  "printable() output holds a control character");
    }
    fuzz::check(cp != 0x7F, "printable() output holds DEL");
    fuzz::check(cp < 0x80 || cp > 0x9F, "printable() output holds a C1 control");
    i += len;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  for (const bool keep_newlines : {false, true}) {
    const std::string out = printable(text, keep_newlines);
    check_output(out, keep_newlines);
    fuzz::check(printable(out, keep_newlines) == out, "printable() is not idempotent");
    // Each input byte becomes at most one U+FFFD (3 bytes); a format character at most a
    // label 4 times its length (the 2-byte U+00AD is "<U+00AD>").
    fuzz::check(out.size() <= 4 * text.size(), "printable() output too long");
  }
  const NormalName normal = normalise_name(text);
  check_output(normal.name, false);
  fuzz::check(normal.name.find('\t') == std::string::npos, "a normal name holds a tab");
  fuzz::check(normal.name.find("  ") == std::string::npos, "a normal name holds two spaces");
  fuzz::check(normal.name.empty() || (normal.name.front() != ' ' && normal.name.back() != ' '),
              "a normal name starts or ends with a space");
  fuzz::check(normalise_name(normal.name).name == normal.name, "normalise_name is not idempotent");
  fuzz::check(name_key(normal.name) == name_key(text), "name_key differs on the normal form");
  return 0;
}
