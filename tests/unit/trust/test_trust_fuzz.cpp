// A small, deterministic stand-in for fuzzing: the parsers of files an attacker may shape must
// answer any bytes with either a result or a one-line TrustError, never another exception (or
// a crash, which the sanitizer builds would catch).
#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "test_support.hpp"
#include "trust/authorized_keys.hpp"
#include "trust/known_hosts.hpp"
#include "trust/trust_error.hpp"
#include "trust/trust_test_support.hpp"

using namespace cryptochat;

namespace {

class Mutator {
 public:
  explicit Mutator(std::uint32_t seed) : rng_(seed) {}

  std::string mutate(std::string text) {
    const auto edits = pick(1, 8);
    for (std::size_t i = 0; i < edits; ++i) {
      const auto at = text.empty() ? 0 : pick(0, text.size() - 1);
      switch (pick(0, 4)) {
        case 0:  // overwrite a byte with anything
          if (!text.empty()) {
            text[at] = static_cast<char>(pick(0, 255));
          }
          break;
        case 1:  // insert a byte the parsers care about
          text.insert(at, 1, interesting());
          break;
        case 2:  // delete a run
          text.erase(at, pick(0, 16));
          break;
        case 3:  // duplicate a run
          text.insert(at, text.substr(at, pick(0, 64)));
          break;
        default:  // truncate
          text.resize(at);
          break;
      }
    }
    return text;
  }

  std::string noise() {
    std::string text(pick(0, 300), '\0');
    for (char& c : text) {
      c = pick(0, 1) == 0 ? interesting() : static_cast<char>(pick(0, 255));
    }
    return text;
  }

 private:
  std::size_t pick(std::size_t low, std::size_t high) {
    return std::uniform_int_distribution<std::size_t>(low, high)(rng_);
  }

  char interesting() {
    static constexpr std::string_view kChars = "\n\r\t #-:=/+ASH256BEGINEND\0\x7f";
    return kChars[pick(0, kChars.size() - 1)];
  }

  std::mt19937 rng_;
};

template <typename Parse>
void expect_result_or_trust_error(const Parse& parse, const std::string& input) {
  try {
    parse(input);
  } catch (const trust::TrustError& e) {
    const std::string message = e.what();
    if (message.find('\n') != std::string::npos) {
      FAIL("a multi-line error: " << message);
    }
  } catch (const std::exception& e) {
    FAIL("an unexpected exception: " << e.what());
  }
}

}  // namespace

TEST_CASE("fuzz: parse_known_hosts answers any bytes with a result or a TrustError") {
  const std::vector<std::string> seeds = {
      std::string("# comment\n\nexample.org:5000 ") + test::kFpA + "\r\n[::1]:1\t" + test::kFpB,
      std::string("a ") + test::kFpC + "\na " + test::kFpA + "\n",
  };
  Mutator mutator(20240601);
  const auto parse = [](const std::string& text) { trust::parse_known_hosts(text, "kh"); };
  for (int i = 0; i < 3000; ++i) {
    expect_result_or_trust_error(parse, mutator.mutate(seeds[i % seeds.size()]));
    expect_result_or_trust_error(parse, mutator.noise());
  }
}

TEST_CASE("fuzz: parse_authorized_keys answers any bytes with a result or a TrustError") {
  const std::vector<std::string> seeds = {
      "# team\n" + test::data_file("rsa2048_pub.pem") + test::kFpB + " bob\n",
      test::data_file("rsa2048_pub.pem"),
      std::string(test::kFpC) + "\n" + test::data_file("rsa2048_pkcs8.pem"),
  };
  Mutator mutator(7);
  const auto parse = [](const std::string& text) { trust::parse_authorized_keys(text, "ak"); };
  for (int i = 0; i < 3000; ++i) {
    expect_result_or_trust_error(parse, mutator.mutate(seeds[i % seeds.size()]));
    expect_result_or_trust_error(parse, mutator.noise());
  }
}
