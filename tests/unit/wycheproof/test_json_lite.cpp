// The small JSON reader the Wycheproof tests use (test-only code).
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "wycheproof/json_lite.hpp"

namespace json = cryptochat::test::json;

TEST_CASE("json_lite: values, nesting and member order") {
  const auto v = json::parse(
      R"( {"a": [1, -2, 3.5e1, 0], "b": {"t": true, "f": false, "n": null}, "s": "x", "e": []} )");
  REQUIRE(v.is_object());
  REQUIRE(v.as_object().size() == 4);
  CHECK(v.as_object()[0].first == "a");
  CHECK(v.as_object()[3].first == "e");
  const auto& a = v.at("a").as_array();
  REQUIRE(a.size() == 4);
  CHECK(a[0].as_int() == 1);
  CHECK(a[1].as_int() == -2);
  CHECK(a[2].as_double() == doctest::Approx(35.0));
  CHECK_THROWS_AS((void)a[2].as_int(), std::logic_error);
  CHECK(a[3].as_int() == 0);
  CHECK(v.at("b").at("t").as_bool());
  CHECK_FALSE(v.at("b").at("f").as_bool());
  CHECK(v.at("b").at("n").is_null());
  CHECK(v.at("s").as_string() == "x");
  CHECK(v.at("e").as_array().empty());
  CHECK(v.find("missing") == nullptr);
  CHECK_THROWS_AS((void)v.at("missing"), std::out_of_range);
  CHECK_THROWS_AS((void)v.at("s").as_array(), std::logic_error);
}

TEST_CASE("json_lite: string escapes") {
  const auto v = json::parse(R"(["\"\\\/\b\f\n\r\t", "\u0041\u00e9\u20ac", "\ud83d\ude00"])");
  const auto& a = v.as_array();
  CHECK(a[0].as_string() == "\"\\/\b\f\n\r\t");
  CHECK(a[1].as_string() == "A\xc3\xa9\xe2\x82\xac");
  CHECK(a[2].as_string() == "\xf0\x9f\x98\x80");
}

TEST_CASE("json_lite: malformed documents are refused") {
  for (const std::string bad :
       {"", "{", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "[1 2]", "\"abc", "\"\\x\"", "\"\\ud83d\"",
        "\"\\ude00\"", "01", "-", "1.", "1e", "tru", "nul", "[] []", "\"a\nb\""}) {
    INFO("document: " << bad);
    CHECK_THROWS_AS((void)json::parse(bad), json::ParseError);
  }
  std::string deep(1000, '[');
  deep += std::string(1000, ']');
  CHECK_THROWS_AS((void)json::parse(deep), json::ParseError);
}
