#include "probe.hpp"

#include <fmt/format.h>
#include <random>

namespace cryptochat::loadgen {

void Probe::expect(std::string token, std::size_t sender) {
  token_ = std::move(token);
  sender_ = sender;
  std::fill(arrivals_.begin(), arrivals_.end(), std::nullopt);
  seen_ = 0;
}

void Probe::on_line(std::size_t client, std::string_view line, Clock::time_point when) {
  if (token_.empty() || client == sender_ || client >= arrivals_.size() ||
      arrivals_[client].has_value() || line.find(token_) == std::string_view::npos) {
    return;
  }
  arrivals_[client] = when;
  ++seen_;
}

std::vector<double> Probe::latencies_ms(Clock::time_point sent) const {
  std::vector<double> ms;
  ms.reserve(seen_);
  for (const auto& at : arrivals_) {
    if (at) {
      ms.push_back(std::chrono::duration<double, std::milli>(*at - sent).count());
    }
  }
  return ms;
}

std::string make_nonce() {
  std::random_device device;
  const std::uint64_t value = (std::uint64_t{device()} << 32U) | device();
  return fmt::format("{:016x}", value);
}

}  // namespace cryptochat::loadgen
