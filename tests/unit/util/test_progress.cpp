#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "util/progress.hpp"

using cryptochat::format_bytes;
using cryptochat::format_duration;
using cryptochat::ProgressMeter;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t kMiB = 1U << 20U;

// A meter on a fake clock that keeps what it prints.
struct FakeMeter {
  ProgressMeter::Clock::time_point now{};
  std::vector<std::string> out;
  ProgressMeter meter;

  FakeMeter(bool terminal, std::optional<std::uint64_t> total)
      : meter(ProgressMeter::Settings{terminal, total, [this] { return now; },
                                      [this](std::string_view text) { out.emplace_back(text); }}) {}
};

std::string bytes(std::uint64_t n) {
  std::array<char, 16> buffer{};
  return std::string(format_bytes(n, buffer));
}

std::string duration(std::chrono::seconds s) {
  std::array<char, 16> buffer{};
  return std::string(format_duration(s, buffer));
}

}  // namespace

TEST_CASE("sizes and durations are short and readable") {
  CHECK(bytes(0) == "0 B");
  CHECK(bytes(1023) == "1023 B");
  CHECK(bytes(1536) == "1.5 KiB");
  CHECK(bytes(12 * kMiB + 300 * 1024) == "12.3 MiB");
  CHECK(bytes(512 * kMiB) == "512 MiB");
  CHECK(bytes(3 * 1024 * kMiB) == "3.0 GiB");
  CHECK(bytes(UINT64_MAX).size() <= 16);
  CHECK(duration(0s) == "0:00");
  CHECK(duration(7s) == "0:07");
  CHECK(duration(754s) == "12:34");
  CHECK(duration(3723s) == "1:02:03");
  CHECK(duration(-5s) == "0:00");
}

TEST_CASE("a terminal meter redraws in place at most every 200 ms, with percentage and time left") {
  FakeMeter m(true, 10 * kMiB);
  m.meter.sent(0);
  REQUIRE(m.out.size() == 1);  // shown at once
  CHECK(m.out[0] == "\r\x1b[Ksent 0 B (0%, 0 B/s), received 0 B (0 B/s)");

  m.now += 100ms;
  m.meter.sent(kMiB / 10);
  CHECK(m.out.size() == 1);  // too soon to redraw

  m.now += 100ms;  // 200 ms in: 2 MiB sent at 10 MiB/s, 8 MiB to go
  m.meter.sent(2 * kMiB - kMiB / 10);
  REQUIRE(m.out.size() == 2);
  CHECK(m.out[1] == "\r\x1b[Ksent 2.0 MiB (20%, 0:01 left, 10.0 MiB/s), received 0 B (0 B/s)");

  m.now += 200ms;
  m.meter.received(3000);
  REQUIRE(m.out.size() == 3);
  CHECK(m.out[2] ==
        "\r\x1b[Ksent 2.0 MiB (20%, 0:02 left, 5.0 MiB/s), received 2.9 KiB (7.3 KiB/s)");

  // A stall: the smoothed rate decays and the time left is dropped, never overflows.
  for (int i = 0; i < 2000; ++i) {
    m.now += 200ms;
    m.meter.received(0);
  }
  CHECK(m.out.back().find("left") == std::string::npos);
  CHECK(m.out.back().find("20%") != std::string::npos);
  m.out.resize(3);
  m.now += 600ms;
  m.meter.sent(8 * kMiB);
  m.meter.finish();
  REQUIRE(m.out.size() == 5);
  CHECK(m.out[3].find("100%") != std::string::npos);
  CHECK(m.out[3].find("left") == std::string::npos);
  // The summary replaces the line and ends it.
  CHECK(m.out[4] ==
        "\r\x1b[Kcryptochat: sent 10485760 bytes (25.5 KiB/s), received 3000 bytes (7 B/s) "
        "in 401.0 s\n");
  CHECK(m.meter.total_sent() == 10 * kMiB);
  CHECK(m.meter.total_received() == 3000);
}

TEST_CASE("a meter writing to a log prints a plain line every 5 s and a summary") {
  FakeMeter m(false, std::nullopt);
  m.meter.sent(100);
  m.now += 4s;
  m.meter.sent(100);
  CHECK(m.out.empty());
  m.now += 1s;
  m.meter.received(5 * 1024);
  REQUIRE(m.out.size() == 1);
  CHECK(m.out[0] == "cryptochat: progress: sent 200 B (40 B/s), received 5.0 KiB (1.0 KiB/s)\n");
  m.now += 5s;
  m.meter.finish();
  m.meter.finish();  // once only
  REQUIRE(m.out.size() == 2);
  CHECK(m.out[1] ==
        "cryptochat: sent 200 bytes (20 B/s), received 5120 bytes (512 B/s) in 10.0 s\n");
}

TEST_CASE("a half-drawn terminal line is ended when the meter goes away without a summary") {
  std::vector<std::string> out;
  ProgressMeter::Clock::time_point now{};
  {
    ProgressMeter meter(
        ProgressMeter::Settings{true, std::nullopt, [&now] { return now; },
                                [&out](std::string_view t) { out.emplace_back(t); }});
    meter.sent(1);
  }
  REQUIRE(out.size() == 2);
  CHECK(out[1] == "\n");
}

TEST_CASE("console lines are printed above a terminal meter, which is then redrawn") {
  REQUIRE(cryptochat::console_sink() == nullptr);
  {
    FakeMeter m(true, std::nullopt);
    m.meter.received(10);
    REQUIRE(m.out.size() == 1);
    REQUIRE(cryptochat::console_sink() != nullptr);
    cryptochat::Console().warn("bob ({}) joined", "SHA256:x");
    REQUIRE(m.out.size() == 4);
    CHECK(m.out[1] == "\r\x1b[K");
    CHECK(m.out[2] == "cryptochat: bob (SHA256:x) joined\n");
    CHECK(m.out[3] == m.out[0]);
  }
  CHECK(cryptochat::console_sink() == nullptr);
  // A meter writing to a log leaves console lines alone.
  FakeMeter log(false, std::nullopt);
  CHECK(cryptochat::console_sink() == nullptr);
}
