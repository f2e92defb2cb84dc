#include "chat/handshake_stage.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "chat/channel.hpp"
#include "crypto/random.hpp"
#include "net/net_error.hpp"

namespace cryptochat::chat {

namespace {
// Handshake frames are at most 16 KiB: reading in small pieces keeps a flood cheap.
constexpr std::size_t kHandshakeReadChunk = std::size_t{16} * 1024;

double seconds(std::chrono::milliseconds ms) {
  return std::chrono::duration<double>(ms).count();
}

std::size_t count_of(const std::map<std::string, std::size_t>& counts, const std::string& key) {
  const auto it = counts.find(key);
  return it == counts.end() ? 0 : it->second;
}

void decrement(std::map<std::string, std::size_t>& counts, const std::string& key) {
  const auto it = counts.find(key);
  if (it != counts.end() && --it->second == 0) {
    counts.erase(it);
  }
}
}  // namespace

void refuse_connection(net::Socket socket, const std::string& why, const Console& console) {
  try {
    Connection conn(std::move(socket));
    console.warn("{}: refused: {}", conn.peer(), why);
    send_alert(conn, ServerFull(why), Side::server);
  } catch (const Error& e) {
    console.warn("a new connection failed: {}", e.what());
  }
}

struct HandshakeStage::Pending {
  std::uint64_t id = 0;
  std::string source;
  std::unique_ptr<Connection> conn;
  std::unique_ptr<crypto::ServerHandshake> handshake;
  net::EventLoop::Watch watch;       // inactive while a worker has it
  net::Clock::time_point deadline;   // the whole handshake
  net::Clock::time_point hello_due;  // the CLIENT_HELLO
  net::Clock::time_point started;    // SERVER_HELLO sent, for --verbose's timing
  bool busy = false;       // a worker has conn and handshake: the event loop keeps off them
  bool committed = false;  // a valid CLIENT_HELLO came and SERVER_KEY + FINISHED went out
  // refuse_all came after SERVER_KEY: the handshake completes, then an ABORT says this.
  std::optional<std::string> refusal;
  // Set by the worker, read after it finished:
  bool established = false;
  std::exception_ptr failure;
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
  limits_.max_pending = std::max<std::size_t>(limits_.max_pending, 1);
  limits_.max_per_source = std::clamp<std::size_t>(limits_.max_per_source, 1, limits_.max_pending);
  limits_.hello_timeout = std::min(limits_.hello_timeout, limits_.timeout);
  workers_done_ = loop_.watch(workers_.notify_fd(), EPOLLIN,
                              [this](std::uint32_t) { workers_.run_finished(); });
  deadlines_ = loop_.every_turn([this] { return expire(); });
}

HandshakeStage::~HandshakeStage() = default;

void HandshakeStage::release(std::map<std::uint64_t, std::shared_ptr<Pending>>::iterator it) {
  decrement(pending_per_source_, it->second->source);
  pending_.erase(it);
}

void HandshakeStage::erase(std::map<std::uint64_t, std::shared_ptr<Pending>>::iterator it) {
  release(it);
  pump();
}

void HandshakeStage::drop(std::uint64_t id, const Error& error) {
  const auto it = pending_.find(id);
  if (it == pending_.end() || it->second->busy) {
    return;  // a worker's job ends by itself in a few milliseconds; finish() decides then
  }
  Pending& p = *it->second;
  console_.warn("{}: {}", p.conn->peer(), error.what());
  send_alert(*p.conn, error, Side::server);
  erase(it);
}

void HandshakeStage::refuse_all(const std::string& why) {
  refusing_ = why;
  while (!queue_.empty()) {
    Queued q = std::move(queue_.front());
    queue_.pop_front();
    refuse_connection(std::move(q.socket), why, console_);
  }
  queued_per_source_.clear();
  std::vector<std::uint64_t> ids;
  for (const auto& [id, p] : pending_) {
    if (p->committed || p->busy) {
      p->refusal = why;  // finish() or the established handshake applies it
    } else {
      ids.push_back(id);
    }
  }
  for (const auto id : ids) {
    drop(id, ServerFull(why));
  }
}

void HandshakeStage::start(net::Socket socket) {
  if (refusing_) {
    refuse_connection(std::move(socket), *refusing_, console_);
    return;
  }
  std::string source = socket.peer_source();
  // Queued connections are all waiting for a slot their source may not take yet (pump() runs
  // whenever one frees), so a newcomer that may take a free slot passes no one.
  if (pending_.size() < limits_.max_pending &&
      count_of(pending_per_source_, source) < limits_.max_per_source) {
    begin(Queued{std::move(socket), std::move(source), net::Clock::now()});
    return;
  }
  if (queue_.size() >= limits_.max_queued) {
    // The network with the most connections waiting (the newcomer counted) loses its newest.
    std::string biggest = source;
    std::size_t most = count_of(queued_per_source_, source) + 1;
    for (const auto& [src, n] : queued_per_source_) {
      if (n > most) {
        biggest = src;
        most = n;
      }
    }
    const std::string why =
        fmt::format("the server is busy: {} connections are waiting for a handshake; try again",
                    limits_.max_queued);
    if (biggest == source) {
      refuse_connection(std::move(socket), why, console_);
      return;
    }
    const auto victim = std::find_if(queue_.rbegin(), queue_.rend(),
                                     [&](const Queued& q) { return q.source == biggest; });
    refuse_connection(std::move(victim->socket), why, console_);
    decrement(queued_per_source_, biggest);
    queue_.erase(std::next(victim).base());
  }
  ++queued_per_source_[source];
  queue_.push_back(Queued{std::move(socket), std::move(source), net::Clock::now()});
  pump();
  if (!queue_.empty()) {
    console_.debug("a connection is waiting for a handshake slot ({} waiting, {} under way)",
                   queue_.size(), pending_.size());
  }
}

void HandshakeStage::pump() {
  while (!refusing_ && pending_.size() < limits_.max_pending) {
    const auto it = std::find_if(queue_.begin(), queue_.end(), [this](const Queued& q) {
      return count_of(pending_per_source_, q.source) < limits_.max_per_source;
    });
    if (it == queue_.end()) {
      return;
    }
    Queued q = std::move(*it);
    queue_.erase(it);
    decrement(queued_per_source_, q.source);
    begin(std::move(q));
  }
}

void HandshakeStage::begin(Queued q) {
  try {
    auto p = std::make_shared<Pending>();
    p->id = next_id_++;
    p->source = std::move(q.source);
    p->conn = std::make_unique<Connection>(std::move(q.socket));
    p->handshake =
        std::make_unique<crypto::ServerHandshake>(identity_, name_, crypto::system_rng());
    p->handshake->start(p->conn->outbox());
    p->conn->flush_some();
    p->started = net::Clock::now();
    p->deadline = p->started + limits_.timeout;
    p->hello_due = p->started + limits_.hello_timeout;
    const std::chrono::duration<double, std::milli> waited = p->started - q.since;
    if (waited.count() < 1) {
      console_.debug("{}: connection accepted, handshake started ({} under way)", p->conn->peer(),
                     pending_.size() + 1);
    } else {
      console_.debug(
          "{}: handshake started after {:.1f} ms in the queue ({} under way, {} waiting)",
          p->conn->peer(), waited.count(), pending_.size() + 1, queue_.size());
    }
    watch(*p);
    ++pending_per_source_[p->source];
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
  // The handshake has the client's key once a CLIENT_HELLO parsed and passed its checks; the
  // worker then sent SERVER_KEY and FINISHED (the identity check passed, or it failed above).
  p->committed = p->committed || p->handshake->peer_key().has_value();
  if (p->refusal && !p->committed) {
    drop(id, ServerFull(*p->refusal));
    return;
  }
  if (p->established) {
    console_.debug(
        "{}: handshake done in {:.1f} ms", p->conn->peer(),
        std::chrono::duration<double, std::milli>(net::Clock::now() - p->started).count());
    if (p->refusal) {
      turn_away(*p);
      erase(it);
      return;
    }
    JoinedPeer joined{std::move(p->conn), p->handshake->take_established()};
    // The slot is handed on only after the owner took the peer: a one-to-one server refuses
    // the queue then (refuse_all) instead of starting a handshake it will not serve.
    release(it);
    on_joined_(std::move(joined));
    pump();
    return;
  }
  watch(*p);
}

void HandshakeStage::turn_away(Pending& p) {
  // The peer believes the handshake done: the reason goes as an ABORT record, not an ALERT.
  console_.warn("{}: refused: {}", p.conn->peer(), *p.refusal);
  try {
    Channel channel(p.handshake->take_established(), Channel::Settings{Channel::Role::server});
    channel.abort(*p.refusal, p.conn->outbox());
    p.conn->flush_some();
    p.conn->shutdown_write();
  } catch (const Error&) {
    // The peer may be gone already.
  }
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
  std::optional<net::Clock::time_point> next;
  const auto consider = [&next](net::Clock::time_point t) {
    if (!next || t < *next) {
      next = t;
    }
  };
  // The queue is oldest first: only its front can be due.
  while (!queue_.empty() && queue_.front().since + limits_.timeout <= now) {
    Queued q = std::move(queue_.front());
    queue_.pop_front();
    decrement(queued_per_source_, q.source);
    refuse_connection(
        std::move(q.socket),
        fmt::format("the server is busy: no handshake slot was free for {} s; try again",
                    seconds(limits_.timeout)),
        console_);
  }
  if (!queue_.empty()) {
    consider(queue_.front().since + limits_.timeout);
  }
  std::vector<std::pair<std::uint64_t, bool>> late;  // id, whether its CLIENT_HELLO is late
  for (const auto& [id, p] : pending_) {
    if (p->busy) {
      continue;  // its job ends in milliseconds, and the loop wakes for it
    }
    if (p->deadline <= now) {
      late.emplace_back(id, false);
    } else if (!p->committed && p->hello_due <= now) {
      late.emplace_back(id, true);
    }
  }
  for (const auto& [id, hello] : late) {
    drop(id, net::TimeoutError(
                 hello ? fmt::format("handshake timed out: no CLIENT_HELLO after {} s",
                                     seconds(limits_.hello_timeout))
                       : fmt::format("handshake timed out after {} s", seconds(limits_.timeout))));
  }
  // Those dropped made room for queued ones, which have deadlines of their own.
  for (const auto& [id, p] : pending_) {
    if (!p->busy) {
      consider(p->committed ? p->deadline : std::min(p->deadline, p->hello_due));
    }
  }
  return next;
}

}  // namespace cryptochat::chat
