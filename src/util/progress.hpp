// The --progress meter: bytes sent (read from stdin) and received (written to stdout), the
// rate, and for a regular file on stdin the percentage and the time left.
//
// On a terminal the line is redrawn in place at most kTerminalInterval apart; elsewhere (a log
// file, a pipe) a plain line is printed at most kPlainInterval apart. finish() prints the
// summary. Counting is an addition and a clock read: it costs nothing next to a record, and
// drawing formats into a fixed buffer, so nothing is allocated per record. While a terminal
// meter is up, console lines (joins, warnings) are printed above it instead of through it.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "util/console.hpp"

namespace cryptochat {

// "512 B", "1.5 KiB", "12.3 MiB", "512 MiB": one decimal below 100 of a unit.
// Writes into out (at least 16 bytes) and returns the text.
std::string_view format_bytes(std::uint64_t bytes, std::array<char, 16>& out);
// "0:07", "12:34", "1:02:03".
std::string_view format_duration(std::chrono::seconds duration, std::array<char, 16>& out);

class ProgressMeter : private ConsoleSink {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr auto kTerminalInterval = std::chrono::milliseconds(200);
  static constexpr auto kPlainInterval = std::chrono::seconds(5);

  struct Settings {
    bool terminal = false;                       // redraw one line in place
    std::optional<std::uint64_t> total;          // bytes that will be sent, when known
    std::function<Clock::time_point()> now;      // default: Clock::now
    std::function<void(std::string_view)> sink;  // default: write to stderr
  };

  explicit ProgressMeter(Settings settings);
  ProgressMeter(const ProgressMeter&) = delete;
  ProgressMeter& operator=(const ProgressMeter&) = delete;
  ProgressMeter(ProgressMeter&&) = delete;
  ProgressMeter& operator=(ProgressMeter&&) = delete;
  // Ends a line left half drawn, so an error message starts on a line of its own.
  ~ProgressMeter() override;

  void sent(std::size_t bytes) { count(sent_, bytes); }
  void received(std::size_t bytes) { count(received_, bytes); }
  // The summary line: the totals each way, the time taken and the mean rates.
  void finish();

  [[nodiscard]] std::uint64_t total_sent() const { return sent_.bytes; }
  [[nodiscard]] std::uint64_t total_received() const { return received_.bytes; }

 private:
  struct Direction {
    std::uint64_t bytes = 0;
    std::uint64_t bytes_at_sample = 0;
    double rate = 0;  // bytes per second, smoothed over the last few samples
  };

  void count(Direction& d, std::size_t bytes) {
    d.bytes += bytes;
    if (now() >= next_draw_) {
      draw();
    }
  }
  [[nodiscard]] Clock::time_point now() const { return settings_.now(); }
  void draw();
  void sample(Clock::time_point t);
  void emit(std::string_view text) const { settings_.sink(text); }
  void console_line(std::string_view text) override;

  Settings settings_;
  Clock::time_point start_;
  Clock::time_point last_sample_;
  Clock::time_point next_draw_;
  Direction sent_;
  Direction received_;
  bool line_open_ = false;  // a terminal line was drawn and not ended
  bool finished_ = false;
  std::array<char, 256> line_{};
  std::string_view drawn_;  // the meter as last drawn, in line_
  ConsoleSink* previous_sink_ = nullptr;
  bool sink_installed_ = false;
};

}  // namespace cryptochat
