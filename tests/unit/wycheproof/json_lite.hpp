// A minimal JSON reader for the Wycheproof test vector files (test-only code): objects, arrays,
// strings with all escapes (\uXXXX and surrogate pairs become UTF-8), numbers, true, false and
// null. Whole documents only; anything malformed throws json::ParseError with its byte offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cryptochat::test::json {

class ParseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Value {
 public:
  enum class Type { null, boolean, number, string, array, object };
  using Array = std::vector<Value>;
  using Object = std::vector<std::pair<std::string, Value>>;  // members in file order

  Value() = default;
  static Value make_bool(bool b);
  static Value make_number(std::string text);
  static Value make_string(std::string s);
  static Value make_array(Array items);
  static Value make_object(Object members);

  [[nodiscard]] Type type() const { return type_; }
  [[nodiscard]] bool is_null() const { return type_ == Type::null; }
  [[nodiscard]] bool is_object() const { return type_ == Type::object; }
  [[nodiscard]] bool is_array() const { return type_ == Type::array; }
  [[nodiscard]] bool is_string() const { return type_ == Type::string; }
  [[nodiscard]] bool is_number() const { return type_ == Type::number; }

  // Typed access; each throws std::logic_error when the value has another type.
  [[nodiscard]] bool as_bool() const;
  [[nodiscard]] const std::string& as_string() const;
  [[nodiscard]] std::int64_t as_int() const;  // also throws unless the number is an integer
  [[nodiscard]] double as_double() const;
  [[nodiscard]] const Array& as_array() const;
  [[nodiscard]] const Object& as_object() const;

  // Object members: find returns nullptr when absent, at throws std::out_of_range.
  [[nodiscard]] const Value* find(std::string_view key) const;
  [[nodiscard]] const Value& at(std::string_view key) const;
  [[nodiscard]] bool contains(std::string_view key) const { return find(key) != nullptr; }

 private:
  void expect(Type t) const;

  Type type_ = Type::null;
  bool bool_ = false;
  std::string text_;  // the string's value, or a number's text as written
  Array array_;
  Object object_;
};

Value parse(std::string_view text);
Value parse_file(const std::string& path);

}  // namespace cryptochat::test::json
