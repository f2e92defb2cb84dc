#include "wycheproof/json_lite.hpp"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>

namespace cryptochat::test::json {

Value Value::make_bool(bool b) {
  Value v;
  v.type_ = Type::boolean;
  v.bool_ = b;
  return v;
}

Value Value::make_number(std::string text) {
  Value v;
  v.type_ = Type::number;
  v.text_ = std::move(text);
  return v;
}

Value Value::make_string(std::string s) {
  Value v;
  v.type_ = Type::string;
  v.text_ = std::move(s);
  return v;
}

Value Value::make_array(Array items) {
  Value v;
  v.type_ = Type::array;
  v.array_ = std::move(items);
  return v;
}

Value Value::make_object(Object members) {
  Value v;
  v.type_ = Type::object;
  v.object_ = std::move(members);
  return v;
}

void Value::expect(Type t) const {
  if (type_ != t) {
    throw std::logic_error("json: value has another type than the one asked for");
  }
}

bool Value::as_bool() const {
  expect(Type::boolean);
  return bool_;
}

const std::string& Value::as_string() const {
  expect(Type::string);
  return text_;
}

std::int64_t Value::as_int() const {
  expect(Type::number);
  std::int64_t out = 0;
  const char* end = text_.data() + text_.size();
  const auto [ptr, ec] = std::from_chars(text_.data(), end, out);
  if (ec != std::errc() || ptr != end) {
    throw std::logic_error("json: number is not an integer in range: " + text_);
  }
  return out;
}

double Value::as_double() const {
  expect(Type::number);
  return std::strtod(text_.c_str(), nullptr);
}

const Value::Array& Value::as_array() const {
  expect(Type::array);
  return array_;
}

const Value::Object& Value::as_object() const {
  expect(Type::object);
  return object_;
}

const Value* Value::find(std::string_view key) const {
  expect(Type::object);
  for (const auto& [name, value] : object_) {
    if (name == key) {
      return &value;
    }
  }
  return nullptr;
}

const Value& Value::at(std::string_view key) const {
  const Value* v = find(key);
  if (v == nullptr) {
    throw std::out_of_range("json: object has no member '" + std::string(key) + "'");
  }
  return *v;
}

namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Value document() {
    Value v = value(0);
    skip_space();
    if (pos_ != text_.size()) {
      fail("trailing characters after the document");
    }
    return v;
  }

 private:
  // Deep enough for any real document, shallow enough to keep the stack safe.
  static constexpr int kMaxDepth = 256;

  [[noreturn]] void fail(const std::string& what) const {
    throw ParseError("json: " + what + " at byte " + std::to_string(pos_));
  }

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  char peek() {
    skip_space();
    if (pos_ == text_.size()) {
      fail("unexpected end of input");
    }
    return text_[pos_];
  }

  void literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) {
      fail("invalid literal");
    }
    pos_ += word.size();
  }

  Value value(int depth) {
    if (depth > kMaxDepth) {
      fail("nesting too deep");
    }
    switch (peek()) {
      case '{':
        return object(depth);
      case '[':
        return array(depth);
      case '"':
        return Value::make_string(string());
      case 't':
        literal("true");
        return Value::make_bool(true);
      case 'f':
        literal("false");
        return Value::make_bool(false);
      case 'n':
        literal("null");
        return Value{};
      default:
        return number();
    }
  }

  Value object(int depth) {
    ++pos_;  // '{'
    Value::Object members;
    if (peek() == '}') {
      ++pos_;
      return Value::make_object(std::move(members));
    }
    while (true) {
      if (peek() != '"') {
        fail("expected a member name");
      }
      std::string name = string();
      if (peek() != ':') {
        fail("expected ':'");
      }
      ++pos_;
      members.emplace_back(std::move(name), value(depth + 1));
      const char c = peek();
      ++pos_;
      if (c == '}') {
        return Value::make_object(std::move(members));
      }
      if (c != ',') {
        fail("expected ',' or '}'");
      }
    }
  }

  Value array(int depth) {
    ++pos_;  // '['
    Value::Array items;
    if (peek() == ']') {
      ++pos_;
      return Value::make_array(std::move(items));
    }
    while (true) {
      items.push_back(value(depth + 1));
      const char c = peek();
      ++pos_;
      if (c == ']') {
        return Value::make_array(std::move(items));
      }
      if (c != ',') {
        fail("expected ',' or ']'");
      }
    }
  }

  unsigned hex4() {
    if (text_.size() - pos_ < 4) {
      fail("truncated \\u escape");
    }
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
      v <<= 4U;
      if (c >= '0' && c <= '9') {
        v |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<unsigned>(c - 'A' + 10);
      } else {
        fail("invalid hex digit in \\u escape");
      }
    }
    return v;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0U | (cp >> 6U)));
      out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0U | (cp >> 12U)));
      out.push_back(static_cast<char>(0x80U | ((cp >> 6U) & 0x3FU)));
      out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
    } else {
      out.push_back(static_cast<char>(0xF0U | (cp >> 18U)));
      out.push_back(static_cast<char>(0x80U | ((cp >> 12U) & 0x3FU)));
      out.push_back(static_cast<char>(0x80U | ((cp >> 6U) & 0x3FU)));
      out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
    }
  }

  unsigned escaped_code_point() {
    const unsigned first = hex4();
    if (first >= 0xDC00 && first <= 0xDFFF) {
      fail("unpaired low surrogate");
    }
    if (first < 0xD800 || first > 0xDBFF) {
      return first;
    }
    if (text_.substr(pos_, 2) != "\\u") {
      fail("unpaired high surrogate");
    }
    pos_ += 2;
    const unsigned second = hex4();
    if (second < 0xDC00 || second > 0xDFFF) {
      fail("invalid low surrogate");
    }
    return 0x10000U + ((first - 0xD800U) << 10U) + (second - 0xDC00U);
  }

  std::string string() {
    ++pos_;  // opening quote
    std::string out;
    while (true) {
      if (pos_ == text_.size()) {
        fail("unterminated string");
      }
      const char c = text_[pos_++];
      if (c == '"') {
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        fail("control character in string");
      }
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ == text_.size()) {
        fail("unterminated escape");
      }
      const char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out.push_back(e);
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u':
          append_utf8(out, escaped_code_point());
          break;
        default:
          fail("invalid escape");
      }
    }
  }

  bool digits() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      ++pos_;
    }
    return pos_ > start;
  }

  Value number() {
    const std::size_t start = pos_;
    if (pos_ < text_.size() && text_[pos_] == '-') {
      ++pos_;
    }
    if (pos_ < text_.size() && text_[pos_] == '0') {
      ++pos_;  // a leading zero stands alone
    } else if (!digits()) {
      fail("unexpected character");
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (!digits()) {
        fail("expected digits after '.'");
      }
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) {
        ++pos_;
      }
      if (!digits()) {
        fail("expected digits in exponent");
      }
    }
    return Value::make_number(std::string(text_.substr(start, pos_ - start)));
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

Value parse(std::string_view text) {
  return Parser(text).document();
}

Value parse_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("json: cannot open " + path);
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  try {
    return parse(contents.str());
  } catch (const ParseError& e) {
    throw ParseError(path + ": " + e.what());
  }
}

}  // namespace cryptochat::test::json
