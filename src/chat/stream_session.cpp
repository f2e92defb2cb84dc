#include "chat/stream_session.hpp"

#include <poll.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>

#include "crypto/fingerprint.hpp"
#include "crypto/handshake_error.hpp"
#include "net/net_error.hpp"
#include "util/file.hpp"
#include "util/signals.hpp"
#include "util/text.hpp"
#include "wire/protocol_error.hpp"
#include "wire/room_messages.hpp"

namespace cryptochat::chat {

namespace {

// Stop reading input while this much is waiting for the socket: memory stays bounded and a
// slow peer slows the sender down instead.
constexpr std::size_t kMaxPendingOutput = std::size_t{4} << 20U;
// After a stop signal, how long the peer gets to confirm before the session is cut.
constexpr auto kStopGrace = std::chrono::seconds(5);
// The most room participants a client keeps for /who: a server's events cannot grow it further.
constexpr std::size_t kMaxKnownParticipants = 100000;
// Where the cursor waits in the interactive chat.
constexpr std::string_view kPrompt = "> ";

}  // namespace

void throw_peer_aborted(wire::ByteView reason) {
  throw wire::ProtocolError(fmt::format(
      "the peer aborted the session: {}",
      printable(std::string_view(reinterpret_cast<const char*>(reason.data()), reason.size()))));
}

StreamSession::StreamSession(Connection& conn, crypto::Established established, SessionIo io,
                             const Console& console, int stop_fd)
    : conn_(conn),
      est_(std::move(established)),
      io_(std::move(io)),
      console_(console),
      stop_fd_(stop_fd),
      input_open_(io_.in_fd >= 0) {
  peer_.key_hash = crypto::spki_hash(est_.peer_key.spki_der());
  peer_.name = est_.peer_name.empty() ? "peer" : est_.peer_name;
  if (interactive(io_) && input_open_) {
    editor_ = std::make_unique<term::LineEditor>(io_.in_fd, io_.out_fd, std::string(kPrompt));
  }
  if (io_.terminal_out) {
    view_.emplace(ViewOutput{io_.out_fd, editor_.get(), io_.colour}, peer_);
  }
  input_chunk_.resize(wire::kMaxRecordData);
}

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

void StreamSession::send_data(wire::ByteView data) {
  while (!data.empty()) {
    const auto n = std::min(data.size(), wire::kMaxRecordData);
    ++counts_.records_sent;
    counts_.bytes_sent += n;
    est_.sealer.seal(crypto::ContentType::data, data.first(n), conn_.outbox());
    data = data.subspan(n);
  }
}

void StreamSession::close_local(crypto::ContentType how) {
  if (close_.local_closed()) {
    return;
  }
  typed_.finish([this](wire::ByteView line) { send_data(line); });
  est_.sealer.seal(how, {}, conn_.outbox());
  close_.local_ended();
  input_open_ = false;
}

void StreamSession::read_typed_line() {
  const term::Typed typed = editor_->read();
  if (typed.kind == term::Typed::Kind::end) {
    input_ended_ = true;
    close_local(crypto::ContentType::end);
    return;
  }
  if (typed.kind == term::Typed::Kind::line) {
    run_command(interpret_line(typed.line));
  }
}

void StreamSession::run_command(const TypedLine& typed) {
  CommandHandlers on;
  on.send = [this](wire::ByteView line) {
    send_data(line);
    return true;
  };
  on.quit = [this] {
    end_ = SessionEnd::local_quit;
    close_local(crypto::ContentType::quit);
  };
  on.who = [this] {
    std::string text = fmt::format("you:  {}\npeer: {}\n", describe(io_.self), describe(peer_));
    for (const auto& other : others_) {
      text += fmt::format("room: {}\n", describe(other));
    }
    return text;
  };
  on.fingerprints = [this] {
    return fmt::format("your fingerprint: {}\n{}'s fingerprint: {}\n",
                       crypto::fingerprint_of_hash(io_.self.key_hash), printable(peer_.name),
                       crypto::fingerprint_of_hash(peer_.key_hash));
  };
  on.show = [this](std::string_view text) { view_->print(text); };
  run_typed_line(typed, Typist{io_.self, io_.colour, io_.progress}, on);
}

void StreamSession::on_room_event(const wire::RoomEvent& event) {
  if (!wire::known_kind(event.kind)) {
    return;  // a kind from a later version of the protocol (PROTOCOL.md, section 9)
  }
  if (event.kind == wire::RoomEventKind::left) {
    const auto it = std::find_if(others_.begin(), others_.end(), [&](const auto& p) {
      return p.key_hash == event.who.key_hash && p.name == event.who.name;
    });
    if (it != others_.end()) {
      others_.erase(it);
    }
  } else if (others_.size() < kMaxKnownParticipants) {
    others_.push_back(event.who);
  }
  if (event.kind == wire::RoomEventKind::present) {
    return;  // already there when we came: for /who, not news
  }
  console_.info("{} ({}) {} the room", printable(event.who.name),
                crypto::short_fingerprint(crypto::fingerprint_of_hash(event.who.key_hash)),
                event.kind == wire::RoomEventKind::joined ? "joined" : "left");
}

void StreamSession::read_input() {
  if (editor_) {
    read_typed_line();
    return;
  }
  const ssize_t n = ::read(io_.in_fd, input_chunk_.data(), input_chunk_.size());
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN) {
      return;
    }
    throw IoError(fmt::format("cannot read standard input: {}", errno_text(errno)));
  }
  if (n == 0) {
    input_ended_ = true;
    close_local(crypto::ContentType::end);
    return;
  }
  const wire::ByteView got(input_chunk_.data(), static_cast<std::size_t>(n));
  if (io_.progress != nullptr) {
    io_.progress->sent(got.size());
  }
  if (io_.line_mode) {
    if (typed_.feed(got, [this](wire::ByteView line) { send_data(line); })) {
      end_ = SessionEnd::local_quit;
      close_local(crypto::ContentType::quit);
    }
  } else {
    send_data(got);
  }
}

void StreamSession::deliver(wire::ByteView data, const wire::Participant* sender) {
  try {
    if (view_ && sender != nullptr) {
      view_->show_message(*sender, data);
    } else if (view_) {
      view_->show(data);
    } else {
      write_all(io_.out_fd, data, "standard output");
    }
    if (io_.progress != nullptr) {
      io_.progress->received(data.size());
    }
  } catch (const IoError& e) {
    // Tell the sender its data did not arrive, so it does not report success.
    est_.sealer.seal(
        crypto::ContentType::abort,
        wire::bytes_of(fmt::format("the peer could not write the data out: {}", e.what())),
        conn_.outbox());
    conn_.close_gracefully(std::chrono::steady_clock::now() + kStopGrace);
    throw;
  }
}

void StreamSession::handle_record(const crypto::OpenedRecord& record) {
  switch (record.type) {
    case crypto::ContentType::data:
      close_.check_peer_may_send();
      ++counts_.records_received;
      counts_.bytes_received += record.data.size();
      deliver(record.data);
      return;
    case crypto::ContentType::end:
    case crypto::ContentType::quit:
      close_.peer_ended();
      if (view_) {
        view_->flush();
      }
      // Everything before this record was written out above: confirm it.
      est_.sealer.seal(crypto::ContentType::end_ack, {}, conn_.outbox());
      close_.confirmed_peer();
      if (record.type == crypto::ContentType::quit) {
        if (end_ == SessionEnd::finished) {
          end_ = SessionEnd::peer_quit;
        }
        console_.info("{} ended the chat", printable(est_.peer_name));
        close_local(crypto::ContentType::end);
      } else if (io_.line_mode && !close_.local_closed()) {
        // In a chat typed at a terminal, the other side leaving ends the conversation.
        console_.info("{} left", printable(est_.peer_name));
        close_local(crypto::ContentType::end);
      }
      return;
    case crypto::ContentType::end_ack:
      close_.peer_confirmed();
      return;
    case crypto::ContentType::abort:
      throw_peer_aborted(record.data);
    case crypto::ContentType::relay: {
      if (!io_.peer_may_relay) {
        break;
      }
      close_.check_peer_may_send();
      const auto relay = wire::parse_relay(record.data);
      ++counts_.records_received;
      counts_.bytes_received += relay.data.size();
      deliver(relay.data, &relay.sender);
      return;
    }
    case crypto::ContentType::room_event: {
      if (!io_.peer_may_relay) {
        break;
      }
      on_room_event(wire::parse_room_event(record.data));
      return;
    }
    case crypto::ContentType::finished:
      break;
  }
  throw wire::ProtocolError("protocol error: unexpected record type after the handshake");
}

bool StreamSession::done() const {
  return close_.complete() && !conn_.has_output();
}

void StreamSession::connection_ended() {
  if (!close_.peer_closed()) {
    throw crypto::IntegrityError(
        crypto::IntegrityError::Kind::truncated,
        fmt::format("truncated: the connection to {} was cut before its end record; what was "
                    "received may be incomplete",
                    conn_.peer()));
  }
  throw crypto::IntegrityError(
      crypto::IntegrityError::Kind::truncated,
      fmt::format("truncated: the connection to {} was cut before it confirmed receiving "
                  "everything",
                  conn_.peer()));
}

SessionResult StreamSession::run() {
  if (!input_open_) {
    close_local(crypto::ContentType::end);
  }
  std::optional<std::chrono::steady_clock::time_point> stop_deadline;
  // Records that arrived together with the handshake's last frame.
  while (auto frame = conn_.decoder().next()) {
    if (frame->type != wire::FrameType::record) {
      throw wire::ProtocolError("protocol error: a handshake frame after the handshake");
    }
    handle_record(est_.opener.open(*frame));
  }
  while (!done()) {
    conn_.flush_some();
    if (done()) {
      break;
    }
    const bool want_input = input_open_ && conn_.pending_output() < kMaxPendingOutput;
    pollfd fds[3] = {
        {conn_.fd(), static_cast<short>(POLLIN | (conn_.has_output() ? POLLOUT : 0)), 0},
        {want_input ? io_.in_fd : -1, POLLIN, 0},
        {stop_fd_, POLLIN, 0},
    };
    const int timeout = stop_deadline ? poll_timeout(*stop_deadline) : -1;
    if (stop_deadline && timeout == 0) {
      throw net::NetError(fmt::format("{} did not confirm the end in time", conn_.peer()));
    }
    if (::poll(fds, 3, timeout) < 0 && errno != EINTR) {
      throw net::NetError("poll failed: " + errno_text(errno));
    }
    if (StopSignals::stop_requested() && !stop_deadline) {
      stop_deadline = std::chrono::steady_clock::now() + kStopGrace;
      end_ = SessionEnd::stopped;
      close_local(crypto::ContentType::quit);
    }
    if ((fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && input_open_) {
      if (editor_ && (fds[1].revents & POLLIN) == 0) {
        input_ended_ = true;  // the terminal hung up: nothing more will be typed
        close_local(crypto::ContentType::end);
      } else {
        read_input();
      }
    }
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      const bool open = conn_.read_some();
      while (auto frame = conn_.decoder().next()) {
        if (frame->type == wire::FrameType::alert) {
          throw wire::ProtocolError("the peer sent an alert after the handshake");
        }
        if (frame->type != wire::FrameType::record) {
          throw wire::ProtocolError("protocol error: a handshake frame after the handshake");
        }
        handle_record(est_.opener.open(*frame));
      }
      if (!open) {
        if (close_.complete()) {
          break;
        }
        connection_ended();
      }
    }
  }
  conn_.flush_all(std::chrono::steady_clock::now() + kStopGrace);
  conn_.shutdown_write();
  console_.debug(
      "session with {} ended: {}; sent {} bytes in {} records, received {} bytes in {} "
      "records",
      conn_.peer(), describe(end_), counts_.bytes_sent, counts_.records_sent,
      counts_.bytes_received, counts_.records_received);
  return SessionResult{end_, input_ended_, counts_};
}

}  // namespace cryptochat::chat
