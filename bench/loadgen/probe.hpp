// The line being waited for and who has seen it. One client sends a line with a fresh nonce;
// every other client's LineSink report is matched against it by substring (ncat --chat puts
// "<userN> " in front of relayed lines), so a late copy of an earlier line never counts.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client.hpp"

namespace cryptochat::loadgen {

class Probe : public LineSink {
 public:
  explicit Probe(std::size_t clients) : arrivals_(clients) {}

  // Forgets the previous line; from now on `token` is what counts, from anyone but `sender`.
  void expect(std::string token, std::size_t sender);
  void on_line(std::size_t client, std::string_view line, Clock::time_point when) override;

  // How many clients other than the sender have seen the token.
  [[nodiscard]] std::size_t seen() const { return seen_; }
  [[nodiscard]] bool has_seen(std::size_t client) const { return arrivals_[client].has_value(); }
  [[nodiscard]] std::size_t expected() const {
    return arrivals_.empty() ? 0 : arrivals_.size() - 1;
  }
  [[nodiscard]] bool complete() const { return seen_ == expected(); }
  // Milliseconds from `sent` to each arrival, for the clients that have seen the token.
  [[nodiscard]] std::vector<double> latencies_ms(Clock::time_point sent) const;

 private:
  std::string token_;
  std::size_t sender_ = 0;
  std::vector<std::optional<Clock::time_point>> arrivals_;
  std::size_t seen_ = 0;
};

// A random 64-bit value in hex, so that every probe line is unique.
std::string make_nonce();

}  // namespace cryptochat::loadgen
