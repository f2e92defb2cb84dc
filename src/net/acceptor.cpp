#include "net/acceptor.hpp"

#include "net/net_error.hpp"

namespace cryptochat::net {

namespace {
// Connections taken per readiness report.
constexpr int kAcceptBatch = 256;
// A listener that fails (out of descriptors) rests this long before accepting again.
constexpr auto kAcceptPause = std::chrono::seconds(1);
}  // namespace

Acceptor::Acceptor(EventLoop& loop, Listener& listener, OnSocket on_socket, const Console& console)
    : listener_(listener), on_socket_(std::move(on_socket)), console_(console) {
  watch_ = loop.watch(listener_.fd(), EPOLLIN, [this](std::uint32_t) { accept_ready(); });
  resume_ = loop.every_turn([this]() -> std::optional<Clock::time_point> {
    if (paused_until_ && Clock::now() >= *paused_until_) {
      paused_until_.reset();
      watch_.set_events(EPOLLIN);
    }
    return paused_until_;
  });
}

void Acceptor::stop() {
  watch_.reset();
  resume_.reset();
}

void Acceptor::accept_ready() {
  try {
    for (int taken = 0; taken < kAcceptBatch && watch_.active(); ++taken) {
      auto socket = listener_.accept();
      if (!socket) {
        return;
      }
      on_socket_(std::move(*socket));
    }
  } catch (const NetError& e) {
    console_.warn("{}", e.what());
    watch_.set_events(0);
    paused_until_ = Clock::now() + kAcceptPause;
  }
}

}  // namespace cryptochat::net
