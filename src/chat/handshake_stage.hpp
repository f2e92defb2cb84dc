// The connections a server has accepted and not yet handed on. A connection first waits in a
// queue that costs no cryptography (nothing is sent to it); it gets a handshake slot, and with
// it SERVER_HELLO, when fewer than max_pending handshakes are under way and fewer than
// max_per_source of them come from its network (an IPv4 address, an IPv6 /64), oldest first.
// Nothing already in the handshake is ever dropped for a newcomer: a handshake ends only by its
// own deadlines (the CLIENT_HELLO is due hello_timeout after SERVER_HELLO, the whole handshake
// timeout after it), its own error, or refuse_all. A burst of real clients therefore queues and
// gets in, slower, while a flood of idle connections holds slots only for hello_timeout each,
// and one network at most max_per_source of them. The RSA work runs on a WorkerPool: while one
// peer's handshake computes, the event loop serves the rest. Every dropped peer gets an alert
// saying why and costs one line on the console.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
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
  // The whole handshake, from SERVER_HELLO; also the longest wait in the queue.
  std::chrono::milliseconds timeout{10000};
  // The CLIENT_HELLO is due this long after SERVER_HELLO (capped by timeout).
  std::chrono::milliseconds hello_timeout{3000};
  std::size_t max_pending = 64;     // handshakes under way at once
  std::size_t max_per_source = 16;  // of them from one IPv4 address or IPv6 /64
  std::size_t max_queued = 1024;    // accepted connections waiting for a slot
  std::size_t worker_threads = 0;   // 0: one per core
};

// A server's own reason to turn a connection away (every handshake slot taken, a one-to-one
// session under way, the room full, shutting down): the peer is told server_full and may try
// again later.
class ServerFull : public wire::ProtocolError {
 public:
  explicit ServerFull(const std::string& message)
      : wire::ProtocolError(message, AlertCode::server_full) {}
};

// Answers a connection with ALERT server_full (`why` as its text) instead of SERVER_HELLO, and
// closes it; one warning line on the console. Never throws.
void refuse_connection(net::Socket socket, const std::string& why, const Console& console);

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

  // Takes a new connection: its handshake starts (SERVER_HELLO) when a slot is free for it,
  // until then it waits in the queue. A full queue loses the newest connection of the network
  // that has the most connections waiting (the newcomer's, if that is the one): ALERT
  // server_full.
  void start(net::Socket socket);
  // Ends every queued connection and every handshake under way with ALERT server_full saying
  // why, except those whose SERVER_KEY and FINISHED were sent (their peer may believe the
  // handshake done): each of those still completes, then gets an ABORT record saying why
  // instead of being handed on. Connections taken afterwards get ALERT server_full at once.
  void refuse_all(const std::string& why);
  [[nodiscard]] std::size_t under_way() const { return pending_.size(); }
  [[nodiscard]] std::size_t queued() const { return queue_.size(); }

 private:
  struct Pending;
  struct Queued {
    net::Socket socket;
    std::string source;
    net::Clock::time_point since;
  };
  void pump();
  void begin(Queued q);
  void on_ready(std::uint64_t id, std::uint32_t events);
  void submit(const std::shared_ptr<Pending>& p);
  void finish(std::uint64_t id);
  void drop(std::uint64_t id, const Error& error);
  // Frees the entry's slot; erase() then hands the slot on (pump), release() leaves that to
  // the caller.
  void release(std::map<std::uint64_t, std::shared_ptr<Pending>>::iterator it);
  void erase(std::map<std::uint64_t, std::shared_ptr<Pending>>::iterator it);
  void turn_away(Pending& p);
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
  std::deque<Queued> queue_;                                   // oldest first
  std::map<std::string, std::size_t> pending_per_source_;
  std::map<std::string, std::size_t> queued_per_source_;
  std::optional<std::string> refusing_;  // refuse_all's reason, for what comes after it
  std::uint64_t next_id_ = 1;
  // Declared after pending_: destroyed first, it waits for the jobs still running.
  WorkerPool workers_;
  net::EventLoop::Watch workers_done_;
  net::EventLoop::Watch deadlines_;
};

}  // namespace cryptochat::chat
