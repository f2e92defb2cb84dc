// A room's log (chat/log_view.hpp): the lines and json formats, their escapes, and how a
// sender's data is joined into whole lines however the records cut it.
#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "chat/log_view.hpp"
#include "crypto/fingerprint.hpp"
#include "test_support.hpp"
#include "wire/bytes.hpp"

using namespace cryptochat;
using test::participant;

namespace {

// 2026-12-07T15:34:47.123Z
const auto kTime = std::chrono::system_clock::time_point(std::chrono::milliseconds(1796657687123));

// A LogView writing to a temporary file, read back whole.
struct LogFile {
  std::FILE* file = std::tmpfile();
  ~LogFile() { std::fclose(file); }
  LogFile() = default;
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;
  LogFile(LogFile&&) = delete;
  LogFile& operator=(LogFile&&) = delete;
  [[nodiscard]] int fd() const { return ::fileno(file); }
  [[nodiscard]] std::vector<std::vector<std::string>> lines() const {
    std::string all;
    char buf[4096];
    ssize_t n = 0;
    off_t at = 0;
    while ((n = ::pread(fd(), buf, sizeof buf, at)) > 0) {
      all.append(buf, static_cast<std::size_t>(n));
      at += n;
    }
    std::vector<std::vector<std::string>> out;
    std::size_t start = 0;
    while (start < all.size()) {
      const auto nl = all.find('\n', start);
      REQUIRE(nl != std::string::npos);
      std::vector<std::string> fields;
      std::string_view line = std::string_view(all).substr(start, nl - start);
      while (true) {
        const auto tab = line.find('\t');
        fields.emplace_back(line.substr(0, tab));
        if (tab == std::string_view::npos) {
          break;
        }
        line.remove_prefix(tab + 1);
      }
      REQUIRE(fields.size() == 5);
      fields.erase(fields.begin());  // the time
      out.push_back(std::move(fields));
      start = nl + 1;
    }
    return out;
  }
};

wire::ByteView bytes(std::string_view s) {
  return wire::bytes_of(s);
}

}  // namespace

TEST_CASE("log time: UTC ISO-8601 with milliseconds") {
  CHECK(chat::log_time(kTime) == "2026-12-07T15:34:47.123Z");
}

TEST_CASE("lines format: five tab-separated fields, name and text escaped") {
  const auto alice = participant("al\tice", 0x01);
  const std::string fp = crypto::fingerprint_of_hash(alice.key_hash);
  CHECK(chat::format_log_line(chat::LogFormat::lines, kTime, chat::LogKind::message, alice,
                              "a\\b\tc\rd\x1b[31m\x7f\xff caf\xc3\xa9 \xc2\x9b") ==
        "2026-12-07T15:34:47.123Z\tmessage\tal\\tice\t" + fp +
            "\ta\\\\b\\tc\\rd\\x1b[31m\\x7f\\xff caf\xc3\xa9 \\xc2\\x9b\n");
  CHECK(chat::format_log_line(chat::LogFormat::lines, kTime, chat::LogKind::left, alice, "x") ==
        "2026-12-07T15:34:47.123Z\tleft\tal\\tice\t" + fp + "\t\n");
  CHECK(chat::escape_log_field("new\nline") == "new\\nline");
}

TEST_CASE("json format: one object; bytes that are not UTF-8 exact in data_b64") {
  const auto bob = participant("bob", 0x02);
  const std::string fp = crypto::fingerprint_of_hash(bob.key_hash);
  const std::string good = chat::format_log_line(chat::LogFormat::json, kTime,
                                                 chat::LogKind::message, bob, "h\xc3\xa9\t\"");
  REQUIRE(good.ends_with("}\n"));
  const auto g = nlohmann::json::parse(good);
  CHECK(g["time"] == "2026-12-07T15:34:47.123Z");
  CHECK(g["type"] == "message");
  CHECK(g["name"] == "bob");
  CHECK(g["fingerprint"] == fp);
  CHECK(g["text"] == "h\xc3\xa9\t\"");
  CHECK_FALSE(g.contains("data_b64"));

  const auto bad = nlohmann::json::parse(chat::format_log_line(
      chat::LogFormat::json, kTime, chat::LogKind::partial, bob, std::string("caf\xe9\0!", 6)));
  CHECK(bad["type"] == "partial");
  CHECK(bad["text"] == std::string("caf\xef\xbf\xbd\0!", 8));
  CHECK(bad["data_b64"] == "Y2Fm6QAh");

  const auto event = nlohmann::json::parse(chat::format_log_line(
      chat::LogFormat::json, kTime, chat::LogKind::joined, participant("\xff", 3), "ignored"));
  CHECK(event["type"] == "joined");
  CHECK(event["name"] == "\xef\xbf\xbd");
  CHECK_FALSE(event.contains("text"));
}

TEST_CASE("is_utf8: well-formed UTF-8, C1 controls included") {
  CHECK(chat::is_utf8(""));
  CHECK(chat::is_utf8("plain \xc3\xa9 \xc2\x9b \xf0\x9f\x98\x80"));
  CHECK_FALSE(chat::is_utf8("\xff"));
  CHECK_FALSE(chat::is_utf8("\xc3"));
  CHECK_FALSE(chat::is_utf8("\xed\xa0\x80"));  // a surrogate
  CHECK_FALSE(chat::is_utf8("\xc0\xaf"));      // overlong
}

TEST_CASE("a sender's data is joined into whole lines, each sender's apart") {
  LogFile out;
  chat::LogView log(out.fd(), chat::LogFormat::lines);
  const auto a = participant("a", 0x0a);
  const auto b = participant("b", 0x0b);
  const std::string fa = crypto::fingerprint_of_hash(a.key_hash);
  const std::string fb = crypto::fingerprint_of_hash(b.key_hash);
  log.message(a, bytes("one "));
  log.message(b, bytes("first\nsecond "));
  log.message(a, bytes("two\nthree"));
  log.event(chat::LogKind::left, a);  // a's unfinished line comes first
  log.message(b, bytes("half"));
  log.flush();
  log.flush();  // nothing more
  using L = std::vector<std::string>;
  CHECK(out.lines() == std::vector<L>{L{"message", "b", fb, "first"},
                                      L{"message", "a", fa, "one two"},
                                      L{"partial", "a", fa, "three"}, L{"left", "a", fa, ""},
                                      L{"partial", "b", fb, "second half"}});
}

TEST_CASE("a line longer than 64 KiB is written in pieces, cut between characters") {
  LogFile out;
  chat::LogView log(out.fd(), chat::LogFormat::lines);
  const auto a = participant("a", 0x0a);
  // 65535 ASCII bytes, then a two-byte character across the 64 KiB mark.
  std::string text(chat::LogView::kMaxLine - 1, 'x');
  text += "\xc3\xa9";
  text += "tail\n";
  for (std::size_t at = 0; at < text.size(); at += 1000) {
    log.message(a, bytes(std::string_view(text).substr(at, 1000)));
  }
  const auto lines = out.lines();
  REQUIRE(lines.size() == 2);
  CHECK(lines[0][0] == "partial");
  CHECK(lines[0][3] == std::string(chat::LogView::kMaxLine - 1, 'x'));
  CHECK(lines[1][0] == "message");
  CHECK(lines[1][3] == "\xc3\xa9tail");
}

TEST_CASE("unfinished lines of many senders are bounded: the oldest is written out") {
  LogFile out;
  chat::LogView log(out.fd(), chat::LogFormat::lines);
  for (std::size_t i = 0; i < chat::LogView::kMaxSenders + 5; ++i) {
    auto p = participant("p" + std::to_string(i), 0x01);
    log.message(p, bytes("x"));
  }
  const auto lines = out.lines();
  REQUIRE(lines.size() == 5);
  CHECK(lines[0][0] == "partial");
  CHECK(lines[0][1] == "p0");
  CHECK(lines[4][1] == "p4");
}
