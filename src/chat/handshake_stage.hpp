// The connections a server has accepted that are still in their handshake. Each has its own
// deadline and the number of them is capped (the oldest is dropped for a newcomer), so a flood
// of half-open connections cannot starve real users or grow memory without bound. The RSA work
// runs on a WorkerPool: while one peer's handshake computes, the event loop serves the rest.
// Every dropped peer gets an alert saying why and costs one line on the console.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "chat/connection.hpp"
#include "chat/handshake_driver.hpp"
#include "crypto/handshake.hpp"
#include "net/event_loop.hpp"
#include "net/socket.hpp"
#include "util/console.hpp"
#include "util/worker_pool.hpp"
#include "wire/protocol_error.hpp"

namespace cryptochat::chat {

struct JoinedPeer {
  std::unique_ptr<Connection> conn;
  crypto::Established established;
};

struct StageLimits {
  std::chrono::milliseconds timeout{10000};
  std::size_t max_pending = 64;
  std::size_t worker_threads = 0;  // 0: one per core
};

// A server's own reason to turn a connection away (every handshake slot taken, a one-to-one
// session under way, the room full, shutting down): the peer is told server_full and may try
// again later.
class ServerFull : public wire::ProtocolError {
 public:
  explicit ServerFull(const std::string& message)
      : wire::ProtocolError(message, AlertCode::server_full) {}
};

class HandshakeStage {
 public:
  using OnJoined = std::function<void(JoinedPeer)>;
  // on_joined gets each peer whose handshake completed, on the loop's thread.
  HandshakeStage(const crypto::PrivateKey& identity, std::string name, IdentityCheck check,
                 StageLimits limits, const Console& console, net::EventLoop& loop,
                 OnJoined on_joined);
  HandshakeStage(const HandshakeStage&) = delete;
  HandshakeStage& operator=(const HandshakeStage&) = delete;
  HandshakeStage(HandshakeStage&&) = delete;
  HandshakeStage& operator=(HandshakeStage&&) = delete;
  ~HandshakeStage();

  // Starts the handshake of a new connection (SERVER_HELLO).
  void start(net::Socket socket);
  // Ends every handshake under way with an alert saying why.
  void refuse_all(const std::string& why);

 private:
  struct Pending;
  void on_ready(std::uint64_t id, std::uint32_t events);
  void submit(const std::shared_ptr<Pending>& p);
  void finish(std::uint64_t id);
  void drop(std::uint64_t id, const Error& error);
  // Registers p's connection on the loop: when it arrives, and again after a worker had it.
  void watch(Pending& p);
  std::optional<net::Clock::time_point> expire();

  const crypto::PrivateKey& identity_;
  std::string name_;
  std::shared_ptr<const IdentityCheck> check_;  // shared with jobs still running
  StageLimits limits_;
  const Console& console_;
  net::EventLoop& loop_;
  OnJoined on_joined_;
  std::map<std::uint64_t, std::shared_ptr<Pending>> pending_;  // oldest first
  std::uint64_t next_id_ = 1;
  // Declared after pending_: destroyed first, it waits for the jobs still running.
  WorkerPool workers_;
  net::EventLoop::Watch workers_done_;
  net::EventLoop::Watch deadlines_;
};

}  // namespace cryptochat::chat
