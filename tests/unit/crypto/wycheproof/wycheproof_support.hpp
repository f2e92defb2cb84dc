// Helpers for the Project Wycheproof known-answer tests: where the vector files are, loading
// one, hex fields, flags, and counting the cases a test checks so that it cannot pass silently
// with none.
#pragma once

#include <doctest/doctest.h>

#include <botan/hex.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cryptochat::test::wycheproof {

using Json = nlohmann::json;

// The copies in tests/vectors/wycheproof (see the README.md there for their provenance).
inline std::string vectors_dir() {
  return std::string(TEST_DATA_DIR) + "/../vectors/wycheproof/";
}

// Loads a vector file and checks it is the kind of file the caller expects. A malformed file
// throws nlohmann::json::parse_error; at() throws for a missing member and get<T>() for a value
// of another type, so a changed file fails the test instead of being read wrongly.
inline Json load(const std::string& file, std::string_view algorithm) {
  std::ifstream in(vectors_dir() + file);
  REQUIRE_MESSAGE(in.is_open(), "cannot open " << vectors_dir() + file);
  Json doc = Json::parse(in);
  REQUIRE(doc.is_object());
  REQUIRE(doc.at("algorithm").get<std::string>() == algorithm);
  REQUIRE(doc.at("testGroups").is_array());
  REQUIRE(doc.at("testGroups").size() > 0);
  return doc;
}

// An array or a string member's value, by reference; each throws nlohmann::json::type_error
// for a value of another type (iterating over a JSON value that is not an array would not).
inline const Json::array_t& array(const Json& value) {
  return value.get_ref<const Json::array_t&>();
}
inline const std::string& text(const Json& value) {
  return value.get_ref<const std::string&>();
}

inline std::vector<std::uint8_t> bytes(const Json& hex_field) {
  return Botan::hex_decode(text(hex_field));
}

// Lower-case hex, so that a failed CHECK prints both sides readably.
inline std::string hex(std::span<const std::uint8_t> data) {
  return Botan::hex_encode(data.data(), data.size(), false);
}

inline bool has_flag(const Json& test, std::string_view flag) {
  const auto& flags = array(test.at("flags"));
  return std::any_of(flags.begin(), flags.end(), [&](const Json& f) { return text(f) == flag; });
}

// "tcId 12 (first byte of l_hash modified) [InvalidOaepPadding]", for INFO.
inline std::string describe(const Json& test) {
  std::string out = "tcId " + std::to_string(test.at("tcId").get<std::int64_t>());
  const auto& comment = text(test.at("comment"));
  if (!comment.empty()) {
    out += " (" + comment + ")";
  }
  out += " [";
  bool first = true;
  for (const auto& f : array(test.at("flags"))) {
    out += (first ? "" : ",") + text(f);
    first = false;
  }
  return out + "] " + test.at("result").get<std::string>();
}

enum class Result { valid, invalid, acceptable };

inline Result result_of(const Json& test) {
  const auto& r = text(test.at("result"));
  if (r == "valid") {
    return Result::valid;
  }
  if (r == "invalid") {
    return Result::invalid;
  }
  REQUIRE_MESSAGE(r == "acceptable", "unknown result '" << r << "' in " << describe(test));
  return Result::acceptable;
}

// A case where the code under test is known to disagree with Wycheproof: reported, not yet
// fixed in src/. A test checks that such a case still behaves the way `what` describes, so it
// passes today and fails once the code is fixed; then remove the entry and the case is checked
// the way Wycheproof says, like every other.
struct KnownDeviation {
  std::string_view file;
  std::int64_t tc_id;
  std::string_view what;  // what happens instead of what Wycheproof asks for
};

inline const KnownDeviation* find_deviation(std::span<const KnownDeviation> table,
                                            std::string_view file, const Json& test) {
  const auto id = test.at("tcId").get<std::int64_t>();
  for (const auto& d : table) {
    if (d.file == file && d.tc_id == id) {
      return &d;
    }
  }
  return nullptr;
}

// How many cases of a file a test checked, by result, and how many it left out on purpose.
// Known deviations are counted under their result, and also on their own.
struct Counts {
  std::size_t valid = 0;
  std::size_t invalid = 0;
  std::size_t acceptable = 0;
  std::size_t skipped = 0;
  std::size_t deviations = 0;

  void checked(Result r) {
    switch (r) {
      case Result::valid:
        ++valid;
        break;
      case Result::invalid:
        ++invalid;
        break;
      case Result::acceptable:
        ++acceptable;
        break;
    }
  }
  [[nodiscard]] std::size_t total() const { return valid + invalid + acceptable + skipped; }
};

// Every case of the file was either checked or skipped on purpose, and something was checked.
// Set CRYPTOCHAT_WYCHEPROOF_COUNTS=1 to print the counts.
inline void check_counts(const std::string& file, const Json& doc, const Counts& counts) {
  INFO(file << ": checked valid " << counts.valid << ", invalid " << counts.invalid
            << ", acceptable " << counts.acceptable << ", skipped " << counts.skipped
            << ", known deviations " << counts.deviations);
  CHECK(counts.total() == static_cast<std::size_t>(doc.at("numberOfTests").get<std::int64_t>()));
  CHECK(counts.valid + counts.invalid + counts.acceptable > 0);
  if (std::getenv("CRYPTOCHAT_WYCHEPROOF_COUNTS") != nullptr) {
    std::cout << file << ": checked valid " << counts.valid << ", invalid " << counts.invalid
              << ", acceptable " << counts.acceptable << ", skipped " << counts.skipped
              << ", known deviations " << counts.deviations << "\n";
  }
}

}  // namespace cryptochat::test::wycheproof
