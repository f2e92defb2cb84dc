// The connections a server has accepted that are still in their handshake. Each has its own
// deadline and the number of them is capped (the oldest is dropped for a newcomer), so a flood
// of half-open connections cannot starve real users or grow memory without bound. The RSA work
// runs on a WorkerPool: while one peer's handshake computes, the event loop serves the rest.
// Every dropped peer gets an alert saying why and costs one line on the console.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "chat/connection.hpp"
#include "chat/handshake_driver.hpp"
#include "crypto/handshake.hpp"
#include "net/poller.hpp"
#include "net/socket.hpp"
#include "util/console.hpp"
#include "util/worker_pool.hpp"

namespace cryptochat::chat {

struct JoinedPeer {
  std::uint64_t token;  // the token the connection had in the stage
  std::unique_ptr<Connection> conn;
  crypto::Established established;
};

struct StageLimits {
  std::chrono::milliseconds timeout{10000};
  std::size_t max_pending = 64;
};

class HandshakeStage {
 public:
  // The stage registers its connections in poller under tokens first_token, first_token + 1...
  HandshakeStage(const crypto::PrivateKey& identity, std::string name, IdentityCheck check,
                 StageLimits limits, const Console& console, net::Poller& poller,
                 WorkerPool& workers, std::uint64_t first_token);
  HandshakeStage(const HandshakeStage&) = delete;
  HandshakeStage& operator=(const HandshakeStage&) = delete;
  HandshakeStage(HandshakeStage&&) = delete;
  HandshakeStage& operator=(HandshakeStage&&) = delete;
  ~HandshakeStage();

  // Starts the handshake of a new connection (SERVER_HELLO).
  void start(net::Socket socket);
  [[nodiscard]] bool owns(std::uint64_t token) const { return pending_.contains(token); }
  void on_ready(std::uint64_t token, std::uint32_t events);
  // Drops the handshakes past their deadline; returns the next deadline, if any.
  std::optional<std::chrono::steady_clock::time_point> expire();
  // A peer whose handshake completed, removed from the stage and the poller.
  std::optional<JoinedPeer> take_joined();
  // Ends every handshake under way with an alert saying why.
  void refuse_all(const std::string& why);
  [[nodiscard]] std::size_t size() const { return pending_.size(); }

 private:
  struct Pending;
  void submit(const std::shared_ptr<Pending>& p);
  void finish(std::uint64_t token);
  void drop(std::uint64_t token, const Error& error);
  void watch(const Pending& p);

  const crypto::PrivateKey& identity_;
  std::string name_;
  std::shared_ptr<const IdentityCheck> check_;  // shared with jobs still running
  StageLimits limits_;
  const Console& console_;
  net::Poller& poller_;
  WorkerPool& workers_;
  std::map<std::uint64_t, std::shared_ptr<Pending>> pending_;  // oldest first
  std::deque<JoinedPeer> joined_;
  std::uint64_t next_token_;
  // Continuations of jobs check it: the stage may be gone before the pool runs them.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Accepts connections and runs their handshakes until one completes (a one-to-one server);
// nullopt when a stop signal arrives first.
// The stage's tokens must not be 1 to 3, which this uses for the listener, stop_fd and workers.
std::optional<JoinedPeer> next_peer(HandshakeStage& stage, net::Poller& poller,
                                    net::Listener& listener, int stop_fd, WorkerPool& workers);

}  // namespace cryptochat::chat
