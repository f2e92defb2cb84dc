#include "chat/room.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "chat/channel.hpp"
#include "chat/verify.hpp"
#include "util/error.hpp"
#include "util/text.hpp"

namespace cryptochat::chat {

namespace {

using Clock = net::Clock;

// A participant's socket is read in small pieces: a chat line is tiny, and what one read brings
// in is relayed to everyone before the next, which keeps the queues close to their bounds.
constexpr std::size_t kMemberReadChunk = std::size_t{64} * 1024;
// How long a participant that is being dropped gets to read the reason before it is cut.
constexpr auto kGoingGrace = std::chrono::seconds(2);
// Room bookkeeping (stalls, idle peers, the ends of drops) runs at least this often.
constexpr auto kTick = std::chrono::milliseconds(250);

// The participant with its name in normal form: what the room compares, shows and relays.
wire::Participant with_normal_name(wire::Participant p) {
  p.name = normalise_name(p.name).name;
  return p;
}

}  // namespace

// One participant: its connection, its channel (the protocol), how its data is shown.
struct Room::Member final : ChannelEvents {
  enum class Stage {
    present,  // in the room
    going,    // being dropped: its queue (ending in ABORT) goes out, then the connection closes
    gone,     // removed at the next tick
  };
  enum class Backlog { clear, backed_up, stalled };  // see room.hpp

  Room& room;
  std::unique_ptr<Connection> conn;
  Channel channel;
  std::string name_problem;  // why its name may not be used (empty: it may)
  wire::Participant who;     // its name in normal form (util/text.hpp)
  std::string label;         // the name, safe to print
  std::string fingerprint;
  PeerOutput output;
  net::EventLoop::Watch watch;
  Clock::time_point last_heard;
  Stage stage = Stage::present;
  bool announced = false;  // the others were told it joined
  Clock::time_point going_deadline;
  Backlog backlog = Backlog::clear;
  bool holding = false;  // counted in Room::holding_: backed up (not stalled) and present
  Clock::time_point last_progress;
  std::size_t drained = 0;

  Member(Room& r, JoinedPeer&& peer)
      : room(r),
        conn(std::move(peer.conn)),
        channel(std::move(peer.established), {Channel::Role::server, true}),
        name_problem(normalise_name(channel.peer_name()).problem),
        who(with_normal_name(channel.peer())),
        label(shown_name(who.name)),
        fingerprint(channel.peer_key().fingerprint()),
        output(r.local_, who),
        last_heard(Clock::now()) {}

  [[nodiscard]] bool receives() const { return stage == Stage::present && !channel.local_closed(); }
  [[nodiscard]] bool done() const { return channel.complete() && !conn->has_output(); }

  void on_data(wire::ByteView data) override {
    output.show(data);
    room.relay(*this, data);
  }
  // A client never sends these: the channel (Role::server) refuses them before they get here.
  void on_relay(const wire::Participant& /*sender*/, wire::ByteView /*data*/) override {}
  void on_room_event(const wire::RoomEvent& /*event*/) override {}
  void on_peer_end(bool quit) override {
    // Either way this participant leaves: the channel confirms and ends too.
    room.console_.debug(
        "{} ({}) is leaving: {}", label, conn->peer(),
        quit ? "its user ended the chat (sair, /quit or a signal)" : "its input ended");
    output.flush();
  }
};

Room::Room(RoomSettings settings, const LocalEnd& local, const Console& console,
           net::EventLoop& loop)
    : settings_(std::move(settings)), local_(local), console_(console), loop_(loop) {
  ticker_ = loop_.every_turn([this] { return tick(); });
}

Room::~Room() = default;

void Room::update_backlog(Member& m) {
  const std::size_t queued = m.conn->pending_output();
  const bool backed = queued >= kBackedUp;
  if (backed && m.backlog == Member::Backlog::clear) {
    m.backlog = Member::Backlog::backed_up;
    m.last_progress = Clock::now();
    m.drained = 0;
  } else if (!backed) {
    m.backlog = Member::Backlog::clear;
  }
  const bool holding = m.backlog == Member::Backlog::backed_up && m.stage == Member::Stage::present;
  if (holding != m.holding) {
    m.holding = holding;
    holding ? ++holding_ : --holding_;
  }
  if (queued > kQueueLimit && m.stage == Member::Stage::present) {
    drop(m,
         fmt::format("dropped: it stopped reading and its queue of {} KiB is full",
                     kQueueLimit / 1024),
         false);
  }
}

void Room::flush(Member& m) {
  if (m.stage == Member::Stage::gone) {
    return;
  }
  if (m.stage == Member::Stage::going) {
    if (m.conn->close_some()) {
      m.stage = Member::Stage::gone;
    }
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
  } catch (const Error& e) {
    drop(m, e.what(), false);
    return;
  }
  update_backlog(m);
  if (m.stage == Member::Stage::present && m.done()) {
    leave(m);
  }
}

void Room::announce(const Member& who, wire::RoomEventKind kind) {
  if (!who.announced) {
    return;
  }
  const wire::RoomEvent event{kind, who.who};
  const bool vouch = kind == wire::RoomEventKind::joined && settings_.keys_listed;
  for (auto& [id, other] : members_) {
    if (other.get() != &who && other->receives()) {
      other->channel.send_room_event(event, other->conn->outbox());
      if (vouch) {
        other->channel.send_room_event(wire::RoomEvent{wire::RoomEventKind::verified, who.who},
                                       other->conn->outbox());
      }
      flush(*other);
    }
  }
}

std::optional<std::string> Room::refusal(const Member& newcomer) const {
  if (!newcomer.name_problem.empty()) {
    return fmt::format("the name is not allowed in this room: {}", newcomer.name_problem);
  }
  // Taken: held by another key (the same key may be in the room more than once: it is the
  // same person, whose lines nobody else can make).
  const std::string key = name_key(newcomer.who.name);
  const auto holds = [&](const wire::Participant& p) {
    return name_key(p.name) == key && p.key_hash != newcomer.who.key_hash;
  };
  const bool taken = holds(local_.settings().self) ||
                     std::any_of(members_.begin(), members_.end(), [&](const auto& entry) {
                       const Member& other = *entry.second;
                       return &other != &newcomer && other.announced &&
                              other.stage == Member::Stage::present && holds(other.who);
                     });
  if (taken) {
    return fmt::format("the name '{}' is taken in this room; choose another with --name",
                       newcomer.label);
  }
  return std::nullopt;
}

void Room::tell_present(Member& newcomer) {
  for (const auto& [id, other] : members_) {
    if (other.get() != &newcomer && other->announced && other->receives()) {
      newcomer.channel.send_room_event(wire::RoomEvent{wire::RoomEventKind::present, other->who},
                                       newcomer.conn->outbox());
      if (settings_.keys_listed) {
        newcomer.channel.send_room_event(wire::RoomEvent{wire::RoomEventKind::verified, other->who},
                                         newcomer.conn->outbox());
      }
    }
  }
  flush(newcomer);
}

std::vector<wire::Participant> Room::participants() const {
  std::vector<wire::Participant> list;
  for (const auto& [id, m] : members_) {
    if (m->announced && m->receives()) {
      list.push_back(m->who);
    }
  }
  return list;
}

std::vector<PeerSas> Room::sas_of_participants() const {
  std::vector<PeerSas> list;
  for (const auto& [id, m] : members_) {
    if (m->announced && m->receives()) {
      list.push_back(PeerSas{m->who, m->channel.sas()});
    }
  }
  return list;
}

void Room::leave(Member& m) {
  console_.info("{} ({}) left", m.label, m.fingerprint);
  m.stage = Member::Stage::gone;
  update_backlog(m);
  announce(m, wire::RoomEventKind::left);
  log_left(m);
}

void Room::log_left(Member& m) {
  if (m.announced) {
    m.output.flush();
    m.output.show_event(wire::RoomEventKind::left, m.who);
  }
}

void Room::drop(Member& m, const std::string& why, bool tell_peer, const std::string& told) {
  if (m.stage != Member::Stage::present) {
    return;
  }
  console_.warn("{} ({}): {}", m.label, m.conn->peer(), why);
  if (tell_peer) {
    // The reason goes out before the connection closes, so the peer can say why it ended.
    m.channel.abort(told.empty() ? why : told, m.conn->outbox());
    m.conn->start_closing();
    m.stage = Member::Stage::going;
    m.going_deadline = Clock::now() + kGoingGrace;
    flush(m);
  } else {
    m.stage = Member::Stage::gone;
  }
  update_backlog(m);
  announce(m, wire::RoomEventKind::left);
  log_left(m);
}

void Room::relay(const Member& from, wire::ByteView data) {
  std::vector<Member*> recipients;
  for (auto& [id, other] : members_) {
    if (other.get() != &from && other->receives()) {
      recipients.push_back(other.get());
    }
  }
  if (recipients.empty()) {
    return;
  }
  const RelayBatch batch(from.who, data);
  for (Member* other : recipients) {
    other->channel.send_relay(batch, other->conn->outbox());
  }
  for (Member* other : recipients) {
    flush(*other);
  }
}

void Room::broadcast(wire::ByteView data) {
  for (auto& [id, m] : members_) {
    if (m->receives()) {
      m->channel.send_data(data, m->conn->outbox());
      flush(*m);
    }
  }
}

void Room::join(JoinedPeer peer) {
  const std::uint64_t id = next_id_++;
  auto owned = std::make_unique<Member>(*this, std::move(peer));
  Member& m = *owned;
  const bool unadmitted = settings_.admits && !settings_.admits(m.channel.peer_key());
  const bool refused = full() || closing_ || unadmitted;
  m.watch =
      loop_.watch(m.conn->fd(), EPOLLIN, [this, &m](std::uint32_t events) { on_ready(m, events); });
  members_.emplace(id, std::move(owned));
  if (refused) {
    std::string why = closing_ ? std::string("the server is shutting down")
                      : unadmitted
                          ? std::string(kNoLongerAuthorized)
                          : fmt::format("the room is full ({} clients)", settings_.max_clients);
    drop(m, why, true);
    return;
  }
  // Decided here, on the loop's one thread, one newcomer at a time: of two that come with one
  // name at once, the first in is in and the second is refused.
  if (const auto why = refusal(m)) {
    drop(m, *why, true);
    return;
  }
  local_.names().note(m.who);
  console_.info("{} ({}) joined from {}", m.label, m.fingerprint, m.conn->peer());
  const std::string sas_line = sas_notice(m.channel.peer_name(), m.channel.sas());
  if (settings_.show_sas) {
    console_.info("{}", sas_line);
  } else {
    console_.debug("{}", sas_line);
  }
  m.announced = true;
  announce(m, wire::RoomEventKind::joined);
  m.output.show_event(wire::RoomEventKind::joined, m.who);
  tell_present(m);
  // Records that came with the client's last handshake frame.
  on_ready(m, 0);
}

void Room::on_ready(Member& m, std::uint32_t events) {
  if (m.stage == Member::Stage::gone) {
    return;
  }
  if (m.stage == Member::Stage::going) {
    // Only waiting for the peer to close: what it still sends is not read.
    flush(m);
    return;
  }
  try {
    if ((events & EPOLLOUT) != 0) {
      flush(m);
    }
    bool open = true;
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
      open = m.conn->read_some(kMemberReadChunk);
      m.last_heard = Clock::now();
    }
    while (m.stage == Member::Stage::present &&
           m.channel.receive_one(m.conn->decoder(), m.conn->outbox(), m)) {
    }
    flush(m);
    if (!open && m.stage == Member::Stage::present) {
      m.channel.connection_ended(m.conn->peer());  // throws unless the close was complete
      leave(m);
    }
  } catch (const IoError&) {
    throw;  // the server's own output failed: that ends the server, not this participant
  } catch (const std::exception& e) {
    // Told why (a generic ABORT, PROTOCOL.md section 3) unless the connection is gone or the
    // error is the participant's own ABORT.
    const std::string told = abort_text(e);
    drop(m, e.what(), !told.empty(), told);
  }
  if (m.stage == Member::Stage::present && !m.conn->has_output()) {
    m.conn->release_idle_memory();
  }
}

std::size_t Room::remove_unadmitted() {
  std::size_t removed = 0;
  for (auto& [id, m] : members_) {
    if (m->stage == Member::Stage::present && settings_.admits &&
        !settings_.admits(m->channel.peer_key())) {
      drop(*m, fmt::format("{} (its key is no longer in the allow list)", kNoLongerAuthorized),
           true, kNoLongerAuthorized);
      ++removed;
    }
  }
  return removed;
}

void Room::close() {
  closing_ = true;
  for (auto& [id, m] : members_) {
    if (m->receives()) {
      m->channel.quit(m->conn->outbox());
      flush(*m);
    }
  }
}

void Room::abort(std::string_view reason) {
  for (auto& [id, m] : members_) {
    if (m->stage == Member::Stage::gone) {
      continue;
    }
    m->channel.abort(reason, m->conn->outbox());
    try {
      m->conn->flush_some();
    } catch (const std::exception&) {
      // That participant is gone already.
    }
  }
}

std::optional<Clock::time_point> Room::tick() {
  const auto now = Clock::now();
  for (auto& [id, m] : members_) {
    if (m->stage == Member::Stage::gone) {
      continue;
    }
    if (m->backlog == Member::Backlog::backed_up && now - m->last_progress > kStallTime) {
      m->backlog = Member::Backlog::stalled;  // no longer holds the room; dropped once full
      update_backlog(*m);
    }
    if (settings_.idle_timeout.count() > 0 && m->stage == Member::Stage::present &&
        !m->channel.peer_closed() && now - m->last_heard > settings_.idle_timeout) {
      drop(*m,
           fmt::format("dropped: idle for more than {} s",
                       std::chrono::duration<double>(settings_.idle_timeout).count()),
           true);
    }
    if (m->stage == Member::Stage::going && now > m->going_deadline) {
      m->stage = Member::Stage::gone;
    }
  }
  // A member that is not present no longer holds the room (update_backlog saw to that).
  std::erase_if(members_,
                [](const auto& entry) { return entry.second->stage == Member::Stage::gone; });
  for (auto& [id, m] : members_) {
    const bool reads =
        m->stage == Member::Stage::going || m->channel.peer_closed() || closing_ || takes_input();
    m->watch.set_events((reads ? static_cast<std::uint32_t>(EPOLLIN) : 0U) |
                        (m->conn->has_output() ? static_cast<std::uint32_t>(EPOLLOUT) : 0U));
  }
  if (members_.empty()) {
    return std::nullopt;
  }
  return now + kTick;
}

}  // namespace cryptochat::chat
