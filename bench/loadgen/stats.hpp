// What a run measured, and the two ways it is printed: lines for people, one JSON object for
// bench/room.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace cryptochat::loadgen {

// Latency percentiles in milliseconds (nearest rank, so every value is a real measurement).
struct Spread {
  double p50 = 0;
  double p99 = 0;
  double max = 0;
};
std::optional<Spread> spread_of(std::vector<double> ms);

struct RoundResult {
  int number = 0;  // from 1
  std::size_t expected = 0;
  std::size_t received = 0;
  std::optional<Spread> latency_ms;
};

struct Report {
  std::string mode;    // "cryptochat" or "plain"
  std::string target;  // HOST:PORT
  std::size_t clients = 0;
  std::size_t concurrency = 0;
  std::size_t established = 0;
  double establish_s = 0;         // first connect to last established
  std::optional<double> ready_s;  // first connect until every client was seen in the room
  std::vector<RoundResult> rounds;
  std::size_t closed = 0;  // sessions that ended with the full close handshake
  std::vector<std::string> problems;
  [[nodiscard]] bool ok() const { return problems.empty(); }
};

// Median over rounds of the per-round p50, and the worst p99 and maximum of any round.
struct Summary {
  double p50_median = 0;
  double p99_worst = 0;
  double max_worst = 0;
};
std::optional<Summary> summarize(const std::vector<RoundResult>& rounds);

std::string to_json(const Report& report);
std::string round_line(const RoundResult& round);

}  // namespace cryptochat::loadgen
