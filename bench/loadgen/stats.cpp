#include "stats.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <string_view>

namespace cryptochat::loadgen {

namespace {

// Nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double p) {
  const auto rank =
      static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string number(double value) {
  return fmt::format("{:.3f}", value);
}

}  // namespace

std::optional<Spread> spread_of(std::vector<double> ms) {
  if (ms.empty()) {
    return std::nullopt;
  }
  std::sort(ms.begin(), ms.end());
  return Spread{percentile(ms, 50), percentile(ms, 99), ms.back()};
}

std::optional<Summary> summarize(const std::vector<RoundResult>& rounds) {
  std::vector<double> p50s;
  Summary s;
  for (const auto& r : rounds) {
    if (r.latency_ms) {
      p50s.push_back(r.latency_ms->p50);
      s.p99_worst = std::max(s.p99_worst, r.latency_ms->p99);
      s.max_worst = std::max(s.max_worst, r.latency_ms->max);
    }
  }
  if (p50s.empty()) {
    return std::nullopt;
  }
  s.p50_median = median(p50s);
  return s;
}

std::string round_line(const RoundResult& r) {
  std::string line = fmt::format("round {}: {}/{} received", r.number, r.received, r.expected);
  if (r.latency_ms) {
    line += fmt::format(", p50 {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms", r.latency_ms->p50,
                        r.latency_ms->p99, r.latency_ms->max);
  }
  return line;
}

std::string to_json(const Report& r) {
  std::string rounds;
  for (const auto& round : r.rounds) {
    rounds += fmt::format("{}{{\"round\": {}, \"expected\": {}, \"received\": {}",
                          rounds.empty() ? "" : ", ", round.number, round.expected, round.received);
    if (round.latency_ms) {
      rounds += fmt::format(", \"p50_ms\": {}, \"p99_ms\": {}, \"max_ms\": {}",
                            number(round.latency_ms->p50), number(round.latency_ms->p99),
                            number(round.latency_ms->max));
    }
    rounds += "}";
  }
  std::string summary = "null";
  if (const auto s = summarize(r.rounds)) {
    summary = fmt::format("{{\"p50_ms_median\": {}, \"p99_ms_worst\": {}, \"max_ms_worst\": {}}}",
                          number(s->p50_median), number(s->p99_worst), number(s->max_worst));
  }
  std::string problems;
  for (const auto& p : r.problems) {
    problems += (problems.empty() ? "" : ", ") + json_string(p);
  }
  return fmt::format(
      "{{\"mode\": {}, \"target\": {}, \"clients\": {}, \"concurrency\": {}, "
      "\"established\": {}, \"establish_s\": {}, \"ready_s\": {}, \"rounds\": [{}], "
      "\"latency\": {}, \"closed\": {}, \"ok\": {}, \"problems\": [{}]}}",
      json_string(r.mode), json_string(r.target), r.clients, r.concurrency, r.established,
      number(r.establish_s), r.ready_s ? number(*r.ready_s) : "null", rounds, summary, r.closed,
      r.ok() ? "true" : "false", problems);
}

}  // namespace cryptochat::loadgen
