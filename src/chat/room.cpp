#include "chat/room.hpp"

#include <fmt/format.h>

#include "chat/close_state.hpp"
#include "chat/stream_session.hpp"
#include "crypto/fingerprint.hpp"
#include "crypto/handshake_error.hpp"
#include "util/file.hpp"
#include "util/text.hpp"
#include "wire/frame.hpp"
#include "wire/protocol_error.hpp"

namespace cryptochat::chat {

namespace {

using Clock = std::chrono::steady_clock;

// A participant's socket is read in small pieces: a chat line is tiny, and what one read brings
// in is relayed to everyone before the next, which keeps the queues close to their bounds.
constexpr std::size_t kMemberReadChunk = std::size_t{64} * 1024;
// How long a participant that is being dropped gets to read the reason before it is cut.
constexpr auto kGoingGrace = std::chrono::seconds(2);

}  // namespace

struct Room::Member {
  std::uint64_t token = 0;
  std::unique_ptr<Connection> conn;
  crypto::Established est;
  wire::Participant who;
  std::string label;  // the name, safe to print
  std::string fingerprint;
  std::optional<TerminalView> view;
  Clock::time_point last_heard;
  CloseState close;  // PROTOCOL.md section 6
  // Being dropped: nothing more is sent; the queue goes out, then the connection closes.
  bool going = false;
  bool write_shut = false;
  Clock::time_point going_deadline;
  bool gone = false;       // removed at the next tick
  bool announced = false;  // the others were told it joined
  // Backpressure (see room.hpp).
  bool backed_up = false;
  bool stalled = false;
  bool holding = false;
  Clock::time_point last_progress;
  std::size_t drained = 0;
  std::uint32_t interest = 0;

  Member(JoinedPeer&& peer)
      : token(peer.token), conn(std::move(peer.conn)), est(std::move(peer.established)) {}
  [[nodiscard]] bool receives() const { return !gone && !going && !close.local_closed(); }
  [[nodiscard]] bool done() const { return close.complete() && !conn->has_output(); }
};

Room::Room(RoomSettings settings, const Console& console, net::Poller& poller)
    : settings_(settings), console_(console), poller_(poller) {}

Room::~Room() {
  for (auto& [token, m] : members_) {
    poller_.remove(m->conn->fd());
  }
}

void Room::seal(Member& m, crypto::ContentType type, wire::ByteView content) {
  m.est.sealer.seal(type, content, m.conn->outbox());
}

void Room::update_backlog(Member& m) {
  const std::size_t queued = m.conn->pending_output();
  const bool backed = queued >= kBackedUp;
  if (backed && !m.backed_up) {
    m.backed_up = true;
    m.stalled = false;
    m.last_progress = Clock::now();
    m.drained = 0;
  } else if (!backed) {
    m.backed_up = false;
    m.stalled = false;
  }
  const bool holding = m.backed_up && !m.stalled && !m.going && !m.gone;
  if (holding != m.holding) {
    m.holding = holding;
    holding ? ++holding_ : --holding_;
  }
  if (queued > kQueueLimit && !m.going && !m.gone) {
    drop(m,
         fmt::format("dropped: it stopped reading and its queue of {} KiB is full",
                     kQueueLimit / 1024),
         false);
  }
}

void Room::flush(Member& m) {
  if (m.gone) {
    return;
  }
  try {
    const std::size_t before = m.conn->pending_output();
    m.conn->flush_some();
    m.drained += before - m.conn->pending_output();
    if (m.drained >= kProgress) {
      m.drained = 0;
      m.last_progress = Clock::now();
    }
    if (m.going && !m.conn->has_output() && !m.write_shut) {
      m.conn->shutdown_write();
      m.write_shut = true;
    }
  } catch (const Error& e) {
    drop(m, e.what(), false);
    return;
  }
  update_backlog(m);
  if (!m.going && !m.gone && m.done()) {
    leave(m);
  }
}

void Room::announce(const Member& who, wire::RoomEventKind kind) {
  if (!who.announced) {
    return;
  }
  const wire::Bytes event = wire::encode(wire::RoomEvent{kind, who.who});
  for (auto& [token, other] : members_) {
    if (other.get() != &who && other->receives()) {
      seal(*other, crypto::ContentType::room_event, event);
      flush(*other);
    }
  }
}

void Room::tell_present(Member& newcomer) {
  for (const auto& [token, other] : members_) {
    if (other.get() != &newcomer && other->announced && other->receives()) {
      seal(newcomer, crypto::ContentType::room_event,
           wire::encode(wire::RoomEvent{wire::RoomEventKind::present, other->who}));
    }
  }
  flush(newcomer);
}

std::vector<wire::Participant> Room::participants() const {
  std::vector<wire::Participant> list;
  for (const auto& [token, m] : members_) {
    if (m->announced && m->receives()) {
      list.push_back(m->who);
    }
  }
  return list;
}

void Room::leave(Member& m) {
  console_.info("{} ({}) left", m.label, m.fingerprint);
  m.gone = true;
  announce(m, wire::RoomEventKind::left);
}

void Room::drop(Member& m, const std::string& why, bool tell_peer) {
  if (m.gone || m.going) {
    return;
  }
  console_.warn("{} ({}): {}", m.label, m.conn->peer(), why);
  if (tell_peer) {
    // The reason goes out before the connection closes, so the peer can say why it ended.
    seal(m, crypto::ContentType::abort, wire::bytes_of(why));
    m.going = true;
    m.going_deadline = Clock::now() + kGoingGrace;
    flush(m);
  } else {
    m.gone = true;
  }
  update_backlog(m);
  announce(m, wire::RoomEventKind::left);
}

void Room::write_out(Member& from, wire::ByteView data) const {
  if (from.view) {
    from.view->show(data);
  } else {
    write_all(settings_.out_fd, data, "standard output");
  }
  if (settings_.progress != nullptr) {
    settings_.progress->received(data.size());
  }
}

void Room::relay(const Member& from, wire::ByteView data) {
  const std::size_t max_chunk = wire::kMaxRecordData - wire::relay_header_size(from.who);
  std::vector<Member*> recipients;
  for (auto& [token, other] : members_) {
    if (other.get() != &from && other->receives()) {
      recipients.push_back(other.get());
    }
  }
  while (!data.empty()) {
    const auto chunk = data.first(std::min(data.size(), max_chunk));
    relay_buffer_.clear();
    wire::encode_relay_header(from.who, relay_buffer_);
    relay_buffer_.insert(relay_buffer_.end(), chunk.begin(), chunk.end());
    for (Member* other : recipients) {
      seal(*other, crypto::ContentType::relay, relay_buffer_);
    }
    data = data.subspan(chunk.size());
  }
  for (Member* other : recipients) {
    flush(*other);
  }
}

void Room::broadcast(wire::ByteView data) {
  for (auto& [token, m] : members_) {
    if (!m->receives()) {
      continue;
    }
    for (auto rest = data; !rest.empty();) {
      const auto chunk = rest.first(std::min(rest.size(), wire::kMaxRecordData));
      seal(*m, crypto::ContentType::data, chunk);
      rest = rest.subspan(chunk.size());
    }
    flush(*m);
  }
}

void Room::handle_record(Member& m, const crypto::OpenedRecord& record) {
  switch (record.type) {
    case crypto::ContentType::data:
      m.close.check_peer_may_send();
      if (!record.data.empty()) {
        write_out(m, record.data);
        relay(m, record.data);
      }
      return;
    case crypto::ContentType::end:
    case crypto::ContentType::quit:
      // Either way this participant leaves: what it sent is out, so confirm, and end too.
      console_.debug("{} ({}) is leaving: {}", m.label, m.conn->peer(),
                     record.type == crypto::ContentType::quit
                         ? "its user ended the chat (sair, /quit or a signal)"
                         : "its input ended");
      m.close.peer_ended();
      if (m.view) {
        m.view->flush();
      }
      seal(m, crypto::ContentType::end_ack, {});
      m.close.confirmed_peer();
      if (!m.close.local_closed()) {
        seal(m, crypto::ContentType::end, {});
        m.close.local_ended();
      }
      flush(m);
      return;
    case crypto::ContentType::end_ack:
      m.close.peer_confirmed();
      flush(m);
      return;
    case crypto::ContentType::abort:
      throw_peer_aborted(record.data);
    default:
      break;
  }
  throw wire::ProtocolError("protocol error: unexpected record type from a client");
}

void Room::join(JoinedPeer peer) {
  auto owned = std::make_unique<Member>(std::move(peer));
  Member& m = *owned;
  m.who.key_hash = crypto::spki_hash(m.est.peer_key.spki_der());
  m.who.name = m.est.peer_name;
  m.label = printable(m.est.peer_name);
  m.fingerprint = m.est.peer_key.fingerprint();
  m.last_heard = Clock::now();
  if (settings_.terminal_out) {
    m.view.emplace(ViewOutput{settings_.out_fd, settings_.editor, settings_.colour}, m.who);
  }
  const bool refused = full() || closing_;
  poller_.add(m.conn->fd(), EPOLLIN, m.token);
  m.interest = EPOLLIN;
  members_.emplace(m.token, std::move(owned));
  if (refused) {
    drop(m,
         closing_ ? std::string("the server is shutting down")
                  : fmt::format("the room is full ({} clients)", settings_.max_clients),
         true);
    return;
  }
  console_.info("{} ({}) joined from {}", m.label, m.fingerprint, m.conn->peer());
  m.announced = true;
  announce(m, wire::RoomEventKind::joined);
  tell_present(m);
  // Records that came with the client's last handshake frame.
  on_ready(m.token, 0);
}

void Room::on_ready(std::uint64_t token, std::uint32_t events) {
  const auto it = members_.find(token);
  if (it == members_.end() || it->second->gone) {
    return;
  }
  Member& m = *it->second;
  try {
    if ((events & EPOLLOUT) != 0) {
      flush(m);
    }
    bool open = true;
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
      open = m.conn->read_some(kMemberReadChunk);
      m.last_heard = Clock::now();
    }
    if (m.going) {
      // Only waiting for the peer to close: what it still sends is not read.
      m.conn->decoder().release_if_empty();
      if (!open) {
        m.gone = true;
      }
      return;
    }
    while (!m.gone && !m.going) {
      const auto frame = m.conn->decoder().next();
      if (!frame) {
        break;
      }
      if (frame->type == wire::FrameType::alert) {
        throw wire::ProtocolError("the peer sent an alert after the handshake");
      }
      if (frame->type != wire::FrameType::record) {
        throw wire::ProtocolError("protocol error: a handshake frame after the handshake");
      }
      handle_record(m, m.est.opener.open(*frame));
    }
    if (!open && !m.gone && !m.going) {
      if (m.close.complete()) {
        leave(m);
      } else {
        throw crypto::IntegrityError(
            crypto::IntegrityError::Kind::truncated,
            m.close.peer_closed() ? "truncated: the connection was cut before it confirmed our end"
                                  : "truncated: the connection was cut before its end record");
      }
    }
  } catch (const IoError&) {
    throw;  // the server's own output failed: that ends the server, not this participant
  } catch (const std::exception& e) {
    drop(m, e.what(), false);
  }
  if (!m.gone && !m.conn->has_output()) {
    m.conn->release_idle_memory();
  }
}

void Room::close() {
  closing_ = true;
  for (auto& [token, m] : members_) {
    if (m->receives()) {
      seal(*m, crypto::ContentType::quit, {});
      m->close.local_ended();
      flush(*m);
    }
  }
}

void Room::watch(Member& m) {
  const bool reads = m.going || m.close.peer_closed() || closing_ || takes_input();
  const std::uint32_t want = (reads ? EPOLLIN : 0U) | (m.conn->has_output() ? EPOLLOUT : 0U);
  if (want != m.interest) {
    poller_.modify(m.conn->fd(), want, m.token);
    m.interest = want;
  }
}

void Room::tick() {
  const auto now = Clock::now();
  for (auto& [token, m] : members_) {
    if (m->gone) {
      continue;
    }
    if (m->backed_up && !m->stalled && now - m->last_progress > kStallTime) {
      m->stalled = true;  // no longer holds the room; dropped once its queue is full
      update_backlog(*m);
    }
    if (settings_.idle_timeout.count() > 0 && !m->going && !m->close.peer_closed() &&
        now - m->last_heard > settings_.idle_timeout) {
      drop(*m,
           fmt::format("dropped: idle for more than {} s",
                       std::chrono::duration<double>(settings_.idle_timeout).count()),
           true);
    }
    if (m->going && now > m->going_deadline) {
      m->gone = true;
    }
  }
  for (auto it = members_.begin(); it != members_.end();) {
    Member& m = *it->second;
    if (m.gone) {
      if (m.holding) {
        --holding_;
      }
      poller_.remove(m.conn->fd());
      it = members_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [token, m] : members_) {
    watch(*m);
  }
}

}  // namespace cryptochat::chat
