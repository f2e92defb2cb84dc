#include "chat/stream_session.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "chat/verify.hpp"
#include "crypto/fingerprint.hpp"
#include "net/net_error.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"
#include "util/text.hpp"

namespace cryptochat::chat {

namespace {

// Stop reading input while this much is waiting for the socket: memory stays bounded and a
// slow peer slows the sender down instead.
constexpr std::size_t kMaxPendingOutput = std::size_t{4} << 20U;
// After a stop signal in a chat typed at a terminal, how long the peer gets to confirm.
constexpr auto kStopGrace = std::chrono::seconds(5);
// After an ABORT, how long the peer gets to read it and close before the session is cut.
constexpr auto kCloseGrace = std::chrono::seconds(2);
// The most room participants a client keeps for /who: a server's events cannot grow it further.
constexpr std::size_t kMaxKnownParticipants = 100000;

// The peer for the view and /who: a peer that sent no name is shown as "peer".
wire::Participant shown_peer(const Channel& channel) {
  wire::Participant peer = channel.peer();
  if (normalise_name(peer.name).name.empty()) {
    peer.name = "peer";
  }
  return peer;
}

}  // namespace

const char* describe(SessionEnd end) {
  switch (end) {
    case SessionEnd::finished:
      return "both sides ended their data and confirmed the other's (EOF both ways)";
    case SessionEnd::local_quit:
      return "we ended the chat (sair or /quit)";
    case SessionEnd::peer_quit:
      return "the peer ended the chat";
    case SessionEnd::stopped:
      return "stopped by a signal";
  }
  return "ended";
}

StreamSession::StreamSession(net::EventLoop& loop, Connection& conn,
                             crypto::Established established, Channel::Role role, LocalEnd& local,
                             const Console& console, int stop_fd,
                             std::chrono::milliseconds end_timeout)
    : loop_(loop),
      conn_(conn),
      // In a chat typed at a terminal, the other side leaving ends the conversation.
      channel_(std::move(established), {role, local.input_mode() != InputMode::pipe}),
      local_(local),
      console_(console),
      stop_fd_(stop_fd),
      peer_(shown_peer(channel_)),
      output_(local, peer_),
      end_timeout_(end_timeout) {
  local_.names().note(peer_);
}

void StreamSession::on_data(wire::ByteView data) {
  output_.show(data);
}

void StreamSession::on_relay(const wire::Participant& sender, wire::ByteView data) {
  output_.room_seen();
  output_.show_relayed(sender, data);
}

void StreamSession::on_room_event(const wire::RoomEvent& event) {
  output_.room_seen();
  const auto same = [&](const Other& o) {
    return o.who.key_hash == event.who.key_hash && o.who.name == event.who.name;
  };
  output_.show_event(event.kind, event.who);
  if (event.kind == wire::RoomEventKind::verified) {
    // Follows that participant's joined or present (PROTOCOL.md section 9): for /who.
    const auto it = std::find_if(others_.rbegin(), others_.rend(), same);
    if (it != others_.rend()) {
      it->verified = true;
    }
    return;
  }
  if (event.kind == wire::RoomEventKind::left) {
    const auto it = std::find_if(others_.begin(), others_.end(), same);
    if (it != others_.end()) {
      others_.erase(it);
    }
  } else if (others_.size() < kMaxKnownParticipants) {
    others_.push_back(Other{event.who, false});
  }
  // A name another key has shown here is from now on shown with the fingerprint.
  local_.names().note(event.who);
  if (event.kind == wire::RoomEventKind::present) {
    return;  // already there when we came: for /who, not news
  }
  console_.info("{} ({}) {} the room", shown_name(event.who.name),
                crypto::short_fingerprint(crypto::fingerprint_of_hash(event.who.key_hash)),
                event.kind == wire::RoomEventKind::joined ? "joined" : "left");
}

void StreamSession::on_peer_end(bool quit) {
  output_.flush();
  if (quit) {
    if (end_ == SessionEnd::finished) {
      end_ = SessionEnd::peer_quit;
    }
    console_.info("{} ended the chat", shown_name(channel_.peer_name()));
    if (local_.input_mode() == InputMode::pipe && local_.input_open()) {
      // Bytes still waiting in our input will never be sent: exit 0 would claim they were.
      input_cut_off_ = local_.unread_input_bytes();
    }
    local_.close_input();  // the channel ends this side too
  } else if (local_.input_mode() != InputMode::pipe && !channel_.local_closed()) {
    console_.info("{} left", shown_name(channel_.peer_name()));
    local_.close_input();
  }
}

InputHandlers StreamSession::input_handlers() {
  InputHandlers on;
  on.commands.send = [this](wire::ByteView data) {
    channel_.send_data(data, conn_.outbox());
    conn_.flush_some();
    return true;
  };
  on.commands.quit = [this] {
    end_ = SessionEnd::local_quit;
    channel_.quit(conn_.outbox());
  };
  on.commands.who = [this] {
    std::string text =
        fmt::format("you:  {}\npeer: {}\n", describe(local_.settings().self), describe(peer_));
    for (const auto& other : others_) {
      text += fmt::format("room: {}{}\n", describe(other.who), other.verified ? " [verified]" : "");
    }
    return text;
  };
  on.commands.fingerprints = [this] {
    return fmt::format("your fingerprint: {}\n{}'s fingerprint: {}\n",
                       crypto::fingerprint_of_hash(local_.settings().self.key_hash),
                       shown_name(peer_.name), crypto::fingerprint_of_hash(peer_.key_hash));
  };
  on.commands.verify = [this] {
    return verify_text(local_.settings().self, PeerSas{peer_, channel_.sas()});
  };
  on.commands.show = [this](std::string_view text) { local_.print(text); };
  on.ended = [this] { channel_.end(conn_.outbox()); };
  return on;
}

bool StreamSession::fail(const std::exception_ptr& error) {
  failure_ = error;
  std::string text;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    text = output_failed_ ? std::string("the peer could not write the data out") : abort_text(e);
  } catch (...) {
    text = "internal error";
  }
  if (!text.empty() && !connection_closed_) {
    // Tell the peer its data or ours did not arrive, so it does not report success.
    channel_.abort(text, conn_.outbox());
  }
  local_.close_input();
  if (text.empty() || connection_closed_ || at_once_) {
    try {
      conn_.flush_some();  // best effort: what the socket takes now
    } catch (const std::exception&) {
      // The connection is gone: the error itself is what is reported.
    }
    return false;
  }
  conn_.start_closing();
  failure_deadline_ = net::Clock::now() + kCloseGrace;
  connection_closed_ = conn_.close_some();
  return true;
}

void StreamSession::on_socket(std::uint32_t events) {
  if (conn_.closing()) {
    connection_closed_ = conn_.close_some();
    return;
  }
  if ((events & EPOLLOUT) != 0) {
    conn_.flush_some();
  }
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) == 0) {
    return;
  }
  const bool open = conn_.read_some();
  last_heard_ = net::Clock::now();
  try {
    channel_.receive(conn_.decoder(), conn_.outbox(), *this);
  } catch (const IoError&) {
    output_failed_ = true;  // PeerOutput could not write what arrived
    throw;
  }
  if (!open) {
    connection_closed_ = true;
    channel_.connection_ended(conn_.peer());  // throws unless the close was complete
  }
  conn_.flush_some();
}

void StreamSession::on_stop() {
  StopSignals::drain(stop_fd_);
  if (stop_deadline_ || failure_) {
    at_once_ = true;  // a second signal: the session ends now
    throw interrupted();
  }
  if (channel_.complete()) {
    return;  // everything was confirmed already: the session is only finishing
  }
  if (local_.input_mode() == InputMode::pipe || channel_.local_closed()) {
    // Data was still on its way, ours or the peer's: an interrupted transfer, never an
    // orderly end (PROTOCOL.md section 6).
    throw interrupted();
  }
  // A chat typed at a terminal ends as with /quit: the peer confirms what it got.
  stop_deadline_ = net::Clock::now() + kStopGrace;
  end_ = SessionEnd::stopped;
  local_.close_input();
  channel_.quit(conn_.outbox());
  conn_.flush_some();
}

std::optional<net::Clock::time_point> StreamSession::tick() {
  socket_.set_events(conn_.wanted_events());
  if (failure_) {
    return failure_deadline_;
  }
  const auto now = net::Clock::now();
  if (stop_deadline_ && now >= *stop_deadline_) {
    throw net::TimeoutError(fmt::format("{} did not confirm the end in time", conn_.peer()));
  }
  std::optional<net::Clock::time_point> wake = stop_deadline_;
  if (end_timeout_.count() > 0 && channel_.end_confirmed() && !channel_.peer_closed()) {
    // Our end is confirmed; the peer still owes its own. A peer that sends nothing at all for
    // this long is stuck or gone: the session does not wait for ever.
    const auto deadline = last_heard_ + end_timeout_;
    if (now >= deadline) {
      throw net::TimeoutError(fmt::format(
          "{} confirmed our end but sent nothing for {:g} s and did not end its own (see "
          "--end-timeout)",
          conn_.peer(), std::chrono::duration<double>(end_timeout_).count()));
    }
    wake = wake ? std::min(*wake, deadline) : deadline;
  }
  local_.want_input(conn_.pending_output() < kMaxPendingOutput);
  return wake;
}

bool StreamSession::finished() const {
  if (failure_) {
    return connection_closed_ || at_once_ || net::Clock::now() >= *failure_deadline_;
  }
  return channel_.complete() && (!conn_.has_output() || connection_closed_);
}

SessionResult StreamSession::run() {
  socket_ = loop_.watch(conn_.fd(), conn_.wanted_events(),
                        [this](std::uint32_t events) { on_socket(events); });
  stop_ = loop_.watch(stop_fd_, EPOLLIN, [this](std::uint32_t) { on_stop(); });
  ticker_ = loop_.every_turn([this] { return tick(); });
  last_heard_ = net::Clock::now();
  local_.start_input(loop_, input_handlers());
  const auto end_watches = [this] {
    socket_.reset();
    stop_.reset();
    ticker_.reset();
  };
  try {
    try {
      try {
        // Records that arrived together with the handshake's last frame.
        try {
          channel_.receive(conn_.decoder(), conn_.outbox(), *this);
        } catch (const IoError&) {
          output_failed_ = true;
          throw;
        }
        conn_.flush_some();
        loop_.run_until([this] { return finished(); });
      } catch (const net::ConnectionReset&) {
        // A reset seen on a write ends the connection as one seen on a read does: truncation
        // unless the close was complete (PROTOCOL.md section 6 rule 4).
        connection_closed_ = true;
        channel_.connection_ended(conn_.peer());
      }
    } catch (...) {
      // The one place an error after the handshake becomes an ABORT. While the peer reads it,
      // a second signal (or another failure) ends the wait.
      if (failure_ || !fail(std::current_exception())) {
        throw;
      }
      loop_.run_until([this] { return finished(); });
    }
  } catch (...) {
    end_watches();
    throw;
  }
  end_watches();
  if (failure_) {
    try {
      output_.flush();  // a log keeps what arrived, its unfinished lines marked partial
    } catch (const std::exception&) {
      // The output is what failed, or the error that ended the session is what matters.
    }
    std::rethrow_exception(failure_);
  }
  if (!connection_closed_) {
    conn_.shutdown_write();
  }
  console_.debug(
      "session with {} ended: {}; sent {} bytes in {} records, received {} bytes in {} "
      "records",
      conn_.peer(), describe(end_), channel_.counts().bytes_sent, channel_.counts().records_sent,
      channel_.counts().bytes_received, channel_.counts().records_received);
  if (channel_.counts().key_updates_sent + channel_.counts().key_updates_received > 0) {
    console_.debug("key updates with {}: {} sent, {} received", conn_.peer(),
                   channel_.counts().key_updates_sent, channel_.counts().key_updates_received);
  }
  if (input_cut_off_ > 0) {
    throw Error(ExitCode::failure,
                fmt::format("{} ended the chat before our input was all sent: {} bytes of it "
                            "(at least) were not delivered",
                            shown_name(channel_.peer_name()), input_cut_off_));
  }
  return SessionResult{end_, channel_.counts()};
}

}  // namespace cryptochat::chat
