#include "chat/handshake_stage.hpp"

#include <fmt/format.h>

#include <array>

#include "crypto/random.hpp"
#include "net/net_error.hpp"
#include "util/signals.hpp"
#include "wire/protocol_error.hpp"

namespace cryptochat::chat {

namespace {
// Handshake frames are at most 16 KiB: reading in small pieces keeps a flood cheap.
constexpr std::size_t kHandshakeReadChunk = std::size_t{16} * 1024;
}  // namespace

struct HandshakeStage::Pending {
  std::uint64_t token = 0;
  std::unique_ptr<Connection> conn;
  std::unique_ptr<crypto::ServerHandshake> handshake;
  std::chrono::steady_clock::time_point deadline;
  std::chrono::steady_clock::time_point started;  // accepted, for --verbose's timing
  bool busy = false;   // a worker has conn and handshake: the event loop keeps off them
  bool heard = false;  // the peer sent something
  // Set by the worker, read after it finished:
  bool established = false;
  std::exception_ptr failure;
  // Dropped while a worker had it: the reason, applied when the worker is done.
  std::exception_ptr cancelled;
};

HandshakeStage::HandshakeStage(const crypto::PrivateKey& identity, std::string name,
                               IdentityCheck check, StageLimits limits, const Console& console,
                               net::Poller& poller, WorkerPool& workers, std::uint64_t first_token)
    : identity_(identity),
      name_(std::move(name)),
      check_(std::make_shared<const IdentityCheck>(std::move(check))),
      limits_(limits),
      console_(console),
      poller_(poller),
      workers_(workers),
      next_token_(first_token) {}

HandshakeStage::~HandshakeStage() {
  for (auto& [token, p] : pending_) {
    if (!p->busy) {
      poller_.remove(p->conn->fd());
    }
  }
}

void HandshakeStage::watch(const Pending& p) {
  poller_.modify(p.conn->fd(), EPOLLIN | (p.conn->has_output() ? EPOLLOUT : 0U), p.token);
}

void HandshakeStage::drop(std::uint64_t token, const Error& error) {
  const auto it = pending_.find(token);
  if (it == pending_.end()) {
    return;
  }
  Pending& p = *it->second;
  if (p.busy) {
    if (!p.cancelled) {
      p.cancelled = std::make_exception_ptr(error);
    }
    return;
  }
  console_.warn("{}: {}", p.conn->peer(), error.what());
  send_alert_now(*p.conn, error, true);
  poller_.remove(p.conn->fd());
  pending_.erase(it);
}

void HandshakeStage::refuse_all(const std::string& why) {
  std::vector<std::uint64_t> tokens;
  for (const auto& entry : pending_) {
    tokens.push_back(entry.first);
  }
  for (const auto token : tokens) {
    drop(token, wire::ServerFull(why));
  }
}

void HandshakeStage::start(net::Socket socket) {
  if (pending_.size() >= limits_.max_pending) {
    // Make room by dropping the oldest connection that has sent nothing yet (a flood of idle
    // connections goes first), else the oldest one a worker is not busy with.
    std::optional<std::uint64_t> victim;
    for (const bool idle_only : {true, false}) {
      for (const auto& [token, p] : pending_) {
        if (!victim && !p->busy && (!idle_only || !p->heard)) {
          victim = token;
        }
      }
    }
    if (victim) {
      drop(*victim,
           wire::ServerFull(fmt::format("dropped: {} connections were already in the handshake",
                                        limits_.max_pending)));
    }
  }
  try {
    auto p = std::make_shared<Pending>();
    p->token = next_token_++;
    p->conn = std::make_unique<Connection>(std::move(socket));
    if (pending_.size() >= limits_.max_pending) {
      send_alert_now(*p->conn,
                     wire::ServerFull("the server is busy with other handshakes; try again"), true);
      console_.warn("{}: refused: every handshake slot is busy", p->conn->peer());
      return;
    }
    p->handshake =
        std::make_unique<crypto::ServerHandshake>(identity_, name_, crypto::system_rng());
    p->handshake->start(p->conn->outbox());
    p->conn->flush_some();
    p->started = std::chrono::steady_clock::now();
    p->deadline = p->started + limits_.timeout;
    console_.debug("{}: connection accepted, handshake started ({} under way)", p->conn->peer(),
                   pending_.size() + 1);
    poller_.add(p->conn->fd(), EPOLLIN | (p->conn->has_output() ? EPOLLOUT : 0U), p->token);
    pending_.emplace(p->token, std::move(p));
  } catch (const Error& e) {
    console_.warn("a new connection failed: {}", e.what());
  }
}

void HandshakeStage::submit(const std::shared_ptr<Pending>& p) {
  p->busy = true;
  poller_.remove(p->conn->fd());
  // The job holds the connection and the identity check alive on its own: the stage may be
  // gone by the time a worker finishes.
  workers_.submit(
      [p, check = check_] {
        try {
          p->established = process_handshake_frames(*p->conn, *p->handshake, *check);
        } catch (...) {
          p->failure = std::current_exception();
        }
      },
      [this, alive = std::weak_ptr<bool>(alive_), token = p->token] {
        if (alive.lock()) {
          finish(token);
        }
      });
}

void HandshakeStage::finish(std::uint64_t token) {
  const auto it = pending_.find(token);
  if (it == pending_.end()) {
    return;
  }
  const std::shared_ptr<Pending> p = it->second;
  p->busy = false;
  poller_.add(p->conn->fd(), EPOLLIN, p->token);
  try {
    if (p->cancelled) {
      std::rethrow_exception(p->cancelled);
    }
    if (p->failure) {
      std::rethrow_exception(p->failure);
    }
  } catch (const Error& e) {
    drop(token, e);
    return;
  } catch (const std::exception& e) {
    drop(token, as_handshake_error(e));
    return;
  }
  if (p->established) {
    console_.debug(
        "{}: handshake done in {:.1f} ms", p->conn->peer(),
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - p->started)
            .count());
    poller_.remove(p->conn->fd());
    joined_.push_back(JoinedPeer{token, std::move(p->conn), p->handshake->take_established()});
    pending_.erase(it);
    return;
  }
  watch(*p);
}

void HandshakeStage::on_ready(std::uint64_t token, std::uint32_t events) {
  const auto it = pending_.find(token);
  if (it == pending_.end() || it->second->busy) {
    return;
  }
  const std::shared_ptr<Pending> p = it->second;
  try {
    if ((events & EPOLLOUT) != 0) {
      p->conn->flush_some();
    }
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
      if (!p->conn->read_some(kHandshakeReadChunk)) {
        throw wire::ProtocolError("closed the connection during the handshake");
      }
      p->heard = p->heard || p->conn->decoder().buffered() > 0;
      if (p->conn->decoder().buffered() > 0) {
        submit(p);
        return;
      }
    }
    watch(*p);
  } catch (const Error& e) {
    drop(token, e);
  }
}

std::optional<std::chrono::steady_clock::time_point> HandshakeStage::expire() {
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::uint64_t> late;
  std::optional<std::chrono::steady_clock::time_point> next;
  for (const auto& [token, p] : pending_) {
    if (p->deadline <= now) {
      late.push_back(token);
    } else if (!next || p->deadline < *next) {
      next = p->deadline;
    }
  }
  for (const auto token : late) {
    drop(token,
         net::TimeoutError(fmt::format(
             "handshake timed out after {} s",
             std::chrono::duration_cast<std::chrono::duration<double>>(limits_.timeout).count())));
  }
  return next;
}

std::optional<JoinedPeer> HandshakeStage::take_joined() {
  if (joined_.empty()) {
    return std::nullopt;
  }
  JoinedPeer peer = std::move(joined_.front());
  joined_.pop_front();
  return peer;
}

std::optional<JoinedPeer> next_peer(HandshakeStage& stage, net::Poller& poller,
                                    net::Listener& listener, int stop_fd, WorkerPool& workers) {
  enum : std::uint64_t { kListener = 1, kStop = 2, kWorkers = 3 };
  poller.add(listener.fd(), EPOLLIN, kListener);
  poller.add(stop_fd, EPOLLIN, kStop);
  poller.add(workers.notify_fd(), EPOLLIN, kWorkers);
  struct Unwatch {
    net::Poller& poller;
    std::array<int, 3> fds;
    Unwatch(net::Poller& p, std::array<int, 3> f) : poller(p), fds(f) {}
    Unwatch(const Unwatch&) = delete;
    Unwatch& operator=(const Unwatch&) = delete;
    Unwatch(Unwatch&&) = delete;
    Unwatch& operator=(Unwatch&&) = delete;
    ~Unwatch() {
      for (const int fd : fds) {
        poller.remove(fd);
      }
    }
  } const unwatch(poller, {listener.fd(), stop_fd, workers.notify_fd()});

  while (!StopSignals::stop_requested()) {
    if (auto joined = stage.take_joined()) {
      return joined;
    }
    const auto deadline = stage.expire();
    const int timeout = deadline ? poll_timeout(*deadline) : -1;
    for (const auto& ev : poller.wait(timeout)) {
      if (ev.data.u64 == kListener) {
        for (int taken = 0; taken < 256; ++taken) {
          auto socket = listener.accept();
          if (!socket) {
            break;
          }
          stage.start(std::move(*socket));
        }
      } else if (ev.data.u64 == kWorkers) {
        workers.run_finished();
      } else if (ev.data.u64 != kStop) {
        stage.on_ready(ev.data.u64, ev.events);
      }
    }
  }
  return std::nullopt;
}

}  // namespace cryptochat::chat
