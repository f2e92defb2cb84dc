#include "chat/handshake_stage.hpp"

#include <fmt/format.h>

#include <vector>

#include "crypto/random.hpp"
#include "net/net_error.hpp"

namespace cryptochat::chat {

namespace {
// Handshake frames are at most 16 KiB: reading in small pieces keeps a flood cheap.
constexpr std::size_t kHandshakeReadChunk = std::size_t{16} * 1024;
}  // namespace

struct HandshakeStage::Pending {
  std::uint64_t id = 0;
  std::unique_ptr<Connection> conn;
  std::unique_ptr<crypto::ServerHandshake> handshake;
  net::EventLoop::Watch watch;  // inactive while a worker has it
  net::Clock::time_point deadline;
  net::Clock::time_point started;  // accepted, for --verbose's timing
  bool busy = false;               // a worker has conn and handshake: the event loop keeps off them
  bool heard = false;              // the peer sent something
  // Set by the worker, read after it finished:
  bool established = false;
  std::exception_ptr failure;
  // Dropped while a worker had it: the reason, applied when the worker is done.
  std::exception_ptr cancelled;
};

HandshakeStage::HandshakeStage(const crypto::PrivateKey& identity, std::string name,
                               IdentityCheck check, StageLimits limits, const Console& console,
                               net::EventLoop& loop, OnJoined on_joined)
    : identity_(identity),
      name_(std::move(name)),
      check_(std::make_shared<const IdentityCheck>(std::move(check))),
      limits_(limits),
      console_(console),
      loop_(loop),
      on_joined_(std::move(on_joined)),
      workers_(limits.worker_threads) {
  workers_done_ = loop_.watch(workers_.notify_fd(), EPOLLIN,
                              [this](std::uint32_t) { workers_.run_finished(); });
  deadlines_ = loop_.every_turn([this] { return expire(); });
}

HandshakeStage::~HandshakeStage() = default;

void HandshakeStage::drop(std::uint64_t id, const Error& error) {
  const auto it = pending_.find(id);
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
  send_alert(*p.conn, error, Side::server);
  pending_.erase(it);
}

void HandshakeStage::refuse_all(const std::string& why) {
  std::vector<std::uint64_t> ids;
  for (const auto& entry : pending_) {
    ids.push_back(entry.first);
  }
  for (const auto id : ids) {
    drop(id, ServerFull(why));
  }
}

void HandshakeStage::start(net::Socket socket) {
  if (pending_.size() >= limits_.max_pending) {
    // Make room by dropping the oldest connection that has sent nothing yet (a flood of idle
    // connections goes first), else the oldest one a worker is not busy with.
    std::optional<std::uint64_t> victim;
    for (const bool idle_only : {true, false}) {
      for (const auto& [id, p] : pending_) {
        if (!victim && !p->busy && (!idle_only || !p->heard)) {
          victim = id;
        }
      }
    }
    if (victim) {
      drop(*victim, ServerFull(fmt::format("dropped: {} connections were already in the handshake",
                                           limits_.max_pending)));
    }
  }
  try {
    auto p = std::make_shared<Pending>();
    p->id = next_id_++;
    p->conn = std::make_unique<Connection>(std::move(socket));
    if (pending_.size() >= limits_.max_pending) {
      send_alert(*p->conn, ServerFull("the server is busy with other handshakes; try again"),
                 Side::server);
      console_.warn("{}: refused: every handshake slot is busy", p->conn->peer());
      return;
    }
    p->handshake =
        std::make_unique<crypto::ServerHandshake>(identity_, name_, crypto::system_rng());
    p->handshake->start(p->conn->outbox());
    p->conn->flush_some();
    p->started = net::Clock::now();
    p->deadline = p->started + limits_.timeout;
    console_.debug("{}: connection accepted, handshake started ({} under way)", p->conn->peer(),
                   pending_.size() + 1);
    watch(*p);
    pending_.emplace(p->id, std::move(p));
  } catch (const Error& e) {
    console_.warn("a new connection failed: {}", e.what());
  }
}

void HandshakeStage::submit(const std::shared_ptr<Pending>& p) {
  p->busy = true;
  p->watch.reset();
  // The job holds the connection and the identity check alive on its own.
  workers_.submit(
      [p, check = check_] {
        try {
          p->established = process_handshake_frames(*p->conn, *p->handshake, *check);
        } catch (...) {
          p->failure = std::current_exception();
        }
      },
      [this, id = p->id] { finish(id); });
}

void HandshakeStage::finish(std::uint64_t id) {
  const auto it = pending_.find(id);
  if (it == pending_.end()) {
    return;
  }
  const std::shared_ptr<Pending> p = it->second;
  p->busy = false;
  try {
    if (p->cancelled) {
      std::rethrow_exception(p->cancelled);
    }
    if (p->failure) {
      std::rethrow_exception(p->failure);
    }
  } catch (const Error& e) {
    drop(id, e);
    return;
  } catch (const std::exception& e) {
    drop(id, as_handshake_error(e));
    return;
  }
  if (p->established) {
    console_.debug(
        "{}: handshake done in {:.1f} ms", p->conn->peer(),
        std::chrono::duration<double, std::milli>(net::Clock::now() - p->started).count());
    JoinedPeer joined{std::move(p->conn), p->handshake->take_established()};
    pending_.erase(it);
    on_joined_(std::move(joined));
    return;
  }
  watch(*p);
}

void HandshakeStage::watch(Pending& p) {
  p.watch = loop_.watch(p.conn->fd(), p.conn->wanted_events(),
                        [this, id = p.id](std::uint32_t events) { on_ready(id, events); });
}

void HandshakeStage::on_ready(std::uint64_t id, std::uint32_t events) {
  const auto it = pending_.find(id);
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
    p->watch.set_events(p->conn->wanted_events());
  } catch (const Error& e) {
    drop(id, e);
  }
}

std::optional<net::Clock::time_point> HandshakeStage::expire() {
  const auto now = net::Clock::now();
  std::vector<std::uint64_t> late;
  std::optional<net::Clock::time_point> next;
  for (const auto& [id, p] : pending_) {
    if (p->deadline <= now) {
      late.push_back(id);
    } else if (!next || p->deadline < *next) {
      next = p->deadline;
    }
  }
  for (const auto id : late) {
    drop(id,
         net::TimeoutError(fmt::format(
             "handshake timed out after {} s",
             std::chrono::duration_cast<std::chrono::duration<double>>(limits_.timeout).count())));
  }
  return next;
}

}  // namespace cryptochat::chat
