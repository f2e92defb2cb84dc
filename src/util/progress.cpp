#include "util/progress.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <cmath>

namespace cryptochat {

namespace {

// Weight of the newest sample in the smoothed rate: recent enough to show a stall within a few
// redraws, smooth enough not to flicker.
constexpr double kNewSampleWeight = 0.5;
// Beyond this the estimate means nothing (and would not fit the line).
constexpr double kMaxSecondsLeft = 100.0 * 3600;

void write_stderr(std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, text.data(), text.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return;  // the meter is a courtesy: a closed stderr must not stop the transfer
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Appends to a fixed buffer, dropping what does not fit: never allocates.
class LineWriter {
 public:
  explicit LineWriter(std::array<char, 256>& buffer) : buffer_(buffer) {}

  template <typename... Args>
  void add(fmt::format_string<Args...> format, Args&&... args) {
    const auto room = buffer_.size() - size_;
    const auto result =
        fmt::format_to_n(buffer_.data() + size_, room, format, std::forward<Args>(args)...);
    size_ += std::min(result.size, room);
  }

  [[nodiscard]] std::string_view text() const { return {buffer_.data(), size_}; }

 private:
  std::array<char, 256>& buffer_;
  std::size_t size_ = 0;
};

double seconds_between(ProgressMeter::Clock::time_point from, ProgressMeter::Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

std::string_view format_bytes(std::uint64_t bytes, std::array<char, 16>& out) {
  static constexpr std::array<const char*, 5> kUnits = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  std::size_t size = 0;
  if (bytes < 1024) {
    size = fmt::format_to_n(out.data(), out.size(), "{} B", bytes).size;
  } else {
    auto value = static_cast<double>(bytes) / 1024;
    std::size_t unit = 0;
    while (value >= 1024 && unit + 1 < kUnits.size()) {
      value /= 1024;
      ++unit;
    }
    size = value < 100
               ? fmt::format_to_n(out.data(), out.size(), "{:.1f} {}", value, kUnits[unit]).size
               : fmt::format_to_n(out.data(), out.size(), "{:.0f} {}", value, kUnits[unit]).size;
  }
  return {out.data(), std::min(size, out.size())};
}

std::string_view format_duration(std::chrono::seconds duration, std::array<char, 16>& out) {
  const long long total = std::max<long long>(duration.count(), 0);
  const long long hours = total / 3600;
  const long long minutes = total / 60 % 60;
  const long long seconds = total % 60;
  const auto written =
      hours > 0
          ? fmt::format_to_n(out.data(), out.size(), "{}:{:02}:{:02}", hours, minutes, seconds)
          : fmt::format_to_n(out.data(), out.size(), "{}:{:02}", minutes, seconds);
  return {out.data(), std::min(written.size, out.size())};
}

ProgressMeter::ProgressMeter(Settings settings) : settings_(std::move(settings)) {
  if (!settings_.now) {
    settings_.now = [] { return Clock::now(); };
  }
  if (!settings_.sink) {
    settings_.sink = write_stderr;
  }
  start_ = now();
  last_sample_ = start_;
  // A terminal shows the meter at once; a log gets its first line after an interval.
  next_draw_ = settings_.terminal ? start_ : start_ + kPlainInterval;
  if (settings_.terminal) {
    previous_sink_ = console_sink();
    console_sink() = this;
    sink_installed_ = true;
  }
}

ProgressMeter::~ProgressMeter() {
  if (sink_installed_ && console_sink() == this) {
    console_sink() = previous_sink_;
  }
  if (line_open_ && !finished_) {
    emit("\n");
  }
}

void ProgressMeter::console_line(std::string_view text) {
  if (previous_sink_ != nullptr) {
    previous_sink_->console_line(text);  // someone else owns the terminal: leave it to them
    return;
  }
  if (line_open_) {
    emit("\r\x1b[K");
  }
  emit(text);
  if (line_open_) {
    emit(drawn_);
  }
}

void ProgressMeter::sample(Clock::time_point t) {
  const double dt = seconds_between(last_sample_, t);
  if (dt <= 0) {
    return;
  }
  const bool first = last_sample_ == start_;
  for (Direction* d : {&sent_, &received_}) {
    const double rate = static_cast<double>(d->bytes - d->bytes_at_sample) / dt;
    d->rate = first ? rate : kNewSampleWeight * rate + (1 - kNewSampleWeight) * d->rate;
    d->bytes_at_sample = d->bytes;
  }
  last_sample_ = t;
}

void ProgressMeter::draw() {
  const auto t = now();
  sample(t);
  next_draw_ =
      t + (settings_.terminal ? std::chrono::duration_cast<Clock::duration>(kTerminalInterval)
                              : std::chrono::duration_cast<Clock::duration>(kPlainInterval));
  std::array<char, 16> bytes{};
  std::array<char, 16> rate{};
  LineWriter line(line_);
  line.add("{}", settings_.terminal ? "\r\x1b[K" : "cryptochat: progress: ");
  line.add("sent {} (", format_bytes(sent_.bytes, bytes));
  if (settings_.total && *settings_.total > 0) {
    const std::uint64_t total = *settings_.total;
    const auto done = std::min(sent_.bytes, total);
    line.add("{}%, ", done * 100 / total);
    // A stalled transfer (its smoothed rate decaying towards zero) shows no time left.
    const double seconds_left =
        sent_.rate > 0 ? static_cast<double>(total - done) / sent_.rate : kMaxSecondsLeft + 1;
    if (done < total && seconds_left <= kMaxSecondsLeft) {
      std::array<char, 16> left{};
      const auto eta = std::chrono::seconds(std::llround(seconds_left));
      line.add("{} left, ", format_duration(eta, left));
    }
  }
  std::array<char, 16> received{};
  std::array<char, 16> received_rate{};
  line.add("{}/s), received {} ({}/s)", format_bytes(static_cast<std::uint64_t>(sent_.rate), rate),
           format_bytes(received_.bytes, received),
           format_bytes(static_cast<std::uint64_t>(received_.rate), received_rate));
  if (!settings_.terminal) {
    line.add("\n");
  }
  drawn_ = line.text();
  emit(drawn_);
  line_open_ = settings_.terminal;
}

void ProgressMeter::finish() {
  if (finished_) {
    return;
  }
  finished_ = true;
  const double elapsed = seconds_between(start_, now());
  const auto mean = [elapsed](std::uint64_t bytes) {
    return static_cast<std::uint64_t>(elapsed > 0 ? static_cast<double>(bytes) / elapsed : 0);
  };
  std::array<char, 16> sent_rate{};
  std::array<char, 16> received_rate{};
  LineWriter line(line_);
  if (line_open_) {
    line.add("\r\x1b[K");
  }
  line.add("cryptochat: sent {} bytes ({}/s), received {} bytes ({}/s) in {:.1f} s\n", sent_.bytes,
           format_bytes(mean(sent_.bytes), sent_rate), received_.bytes,
           format_bytes(mean(received_.bytes), received_rate), elapsed);
  emit(line.text());
  line_open_ = false;
}

}  // namespace cryptochat
