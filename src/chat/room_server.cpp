#include "chat/room_server.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <memory>

#include "chat/typed_input.hpp"
#include "crypto/fingerprint.hpp"
#include "net/net_error.hpp"
#include "net/poller.hpp"
#include "util/signals.hpp"
#include "util/text.hpp"
#include "util/worker_pool.hpp"
#include "wire/protocol_error.hpp"

namespace cryptochat::chat {

namespace {

using Clock = std::chrono::steady_clock;

enum : std::uint64_t { kListener = 1, kStop = 2, kWorkers = 3, kInput = 4, kFirstPeer = 16 };

// Room bookkeeping (stalls, idle peers) runs at least this often.
constexpr auto kTick = std::chrono::milliseconds(250);
// After the chat is ended, how long participants get to confirm before they are cut.
constexpr auto kCloseGrace = std::chrono::seconds(5);
// A listener that fails (out of descriptors) rests this long before accepting again.
constexpr auto kAcceptPause = std::chrono::seconds(1);
constexpr std::size_t kInputChunk = std::size_t{64} * 1024;
// Where the operator's cursor waits in the interactive chat.
constexpr std::string_view kPrompt = "> ";

// The operator's standard input: a pipe or terminal is watched by the poller; a regular file
// (or /dev/null) cannot be, and is always ready.
class OperatorInput {
 public:
  // editor: the interactive chat's line editor on io.in_fd, or nullptr.
  OperatorInput(const SessionIo& io, net::Poller& poller, term::LineEditor* editor)
      : io_(io), poller_(poller), editor_(editor) {
    if (io_.in_fd >= 0) {
      open_ = true;
      // Registered only while wanted: a pipe whose writer is gone reports a hang-up even
      // when no event is asked for, and the loop would spin on it.
      watched_ = poller_.add(io_.in_fd, 0, kInput);
      if (watched_) {
        poller_.remove(io_.in_fd);
      }
    }
    buffer_.resize(kInputChunk);
  }

  [[nodiscard]] bool open() const { return open_; }
  // Keys typed at the interactive chat are read (and shown) even with nobody in the room.
  [[nodiscard]] bool interactive() const { return editor_ != nullptr; }
  [[nodiscard]] bool always_ready() const { return open_ && !watched_; }

  void want(bool on) {
    if (watched_ && open_ && on != wanted_) {
      if (on) {
        poller_.add(io_.in_fd, EPOLLIN, kInput);
      } else {
        poller_.remove(io_.in_fd);
      }
      wanted_ = on;
    }
  }

  // Reads once and hands the data to the room; true when the operator ended the chat.
  bool read_into(Room& room) {
    if (editor_ != nullptr) {
      return read_typed(room);
    }
    const ssize_t n = ::read(io_.in_fd, buffer_.data(), buffer_.size());
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) {
        return false;
      }
      throw IoError(fmt::format("cannot read standard input: {}", errno_text(errno)));
    }
    const auto send = [&room](wire::ByteView data) { room.broadcast(data); };
    if (n == 0) {
      open_ = false;
      if (wanted_) {
        poller_.remove(io_.in_fd);
      }
      if (io_.line_mode) {
        typed_.finish(send);
        return true;  // end of input typed at a terminal: the operator left
      }
      return false;  // piped input ran out: the room goes on
    }
    const wire::ByteView got(buffer_.data(), static_cast<std::size_t>(n));
    if (io_.progress != nullptr) {
      io_.progress->sent(got.size());
    }
    if (io_.line_mode) {
      return typed_.feed(got, send);
    }
    send(got);
    return false;
  }

 private:
  void stop_reading() {
    open_ = false;
    if (wanted_) {
      poller_.remove(io_.in_fd);
      wanted_ = false;
    }
  }

  bool read_typed(Room& room) {
    const term::Typed typed = editor_->read();
    if (typed.kind == term::Typed::Kind::end) {
      stop_reading();
      return true;  // Ctrl-D: the operator left
    }
    if (typed.kind == term::Typed::Kind::nothing) {
      return false;
    }
    bool left = false;
    CommandHandlers on;
    on.send = [this, &room](wire::ByteView line) {
      if (room.empty()) {
        editor_->print_above("nobody is in the room to hear it; not sent\n");
        return false;
      }
      room.broadcast(line);
      return true;
    };
    on.quit = [this, &left] {
      stop_reading();
      left = true;
    };
    on.who = [this, &room] {
      std::string text = fmt::format("you:    {}\n", describe(io_.self));
      for (const auto& p : room.participants()) {
        text += fmt::format("client: {}\n", describe(p));
      }
      return text;
    };
    on.fingerprints = [this] {
      return fmt::format("your fingerprint: {}\n", crypto::fingerprint_of_hash(io_.self.key_hash));
    };
    on.show = [this](std::string_view text) { editor_->print_above(text); };
    run_typed_line(interpret_line(typed.line), Typist{io_.self, io_.colour, io_.progress}, on);
    return left;
  }

  const SessionIo& io_;
  net::Poller& poller_;
  term::LineEditor* editor_;
  bool open_ = false;
  bool watched_ = false;
  bool wanted_ = false;
  TypedInput typed_;
  wire::Bytes buffer_;
};

void refuse(net::Socket socket, const std::string& why, const Console& console) {
  try {
    Connection conn(std::move(socket));
    console.warn("{}: refused: {}", conn.peer(), why);
    send_alert_now(conn, wire::ServerFull(why), true);
  } catch (const Error& e) {
    console.warn("a new connection failed: {}", e.what());
  }
}

}  // namespace

void run_room_server(const crypto::PrivateKey& identity, const std::string& name,
                     IdentityCheck check, net::Listener& listener, const SessionIo& io,
                     RoomServerSettings settings, const Console& console, int stop_fd) {
  net::Poller poller;
  WorkerPool workers;
  HandshakeStage stage(identity, name, std::move(check), settings.handshakes, console, poller,
                       workers, kFirstPeer);
  // The operator's line outlives the room, whose lines go above it.
  std::unique_ptr<term::LineEditor> editor;
  if (interactive(io) && io.in_fd >= 0) {
    editor = std::make_unique<term::LineEditor>(io.in_fd, io.out_fd, std::string(kPrompt));
    settings.room.editor = editor.get();
  }
  Room room(settings.room, console, poller);
  OperatorInput input(io, poller, editor.get());
  poller.add(listener.fd(), EPOLLIN, kListener);
  poller.add(stop_fd, EPOLLIN, kStop);
  poller.add(workers.notify_fd(), EPOLLIN, kWorkers);

  bool closing = false;
  Clock::time_point close_deadline;
  bool accept_paused = false;
  Clock::time_point accept_resume{};
  const auto end_chat = [&](const char* why) {
    if (closing) {
      return;
    }
    closing = true;
    close_deadline = Clock::now() + kCloseGrace;
    console.info("{}: ending the chat for {} participant(s)", why, room.size());
    poller.remove(listener.fd());
    stage.refuse_all("the server is shutting down");
    room.close();
  };

  while (true) {
    if (StopSignals::stop_requested()) {
      end_chat("stopped");
    }
    while (auto joined = stage.take_joined()) {
      room.join(std::move(*joined));
    }
    room.tick();
    if (closing && (room.empty() || Clock::now() >= close_deadline)) {
      break;
    }
    // Keys typed at the interactive chat are always read, so the line can be edited while the
    // room is empty or held: a typed line is small, and a participant that is not reading is
    // still dropped once its queue is full.
    const bool input_ready =
        !closing && input.open() && (input.interactive() || room.takes_input());
    input.want(input_ready);
    if (accept_paused && Clock::now() >= accept_resume && !closing) {
      poller.modify(listener.fd(), EPOLLIN, kListener);
      accept_paused = false;
    }

    auto wake = Clock::now() + kTick;
    if (const auto deadline = stage.expire()) {
      wake = std::min(wake, *deadline);
    }
    if (closing) {
      wake = std::min(wake, close_deadline);
    }
    const int timeout = input_ready && input.always_ready() ? 0 : poll_timeout(wake);
    for (const auto& ev : poller.wait(timeout)) {
      switch (ev.data.u64) {
        case kListener:
          try {
            for (int taken = 0; taken < 256 && !closing; ++taken) {
              auto socket = listener.accept();
              if (!socket) {
                break;
              }
              if (room.full()) {
                refuse(std::move(*socket),
                       fmt::format("the room is full ({} clients)", settings.room.max_clients),
                       console);
              } else {
                stage.start(std::move(*socket));
              }
            }
          } catch (const net::NetError& e) {
            console.warn("{}", e.what());
            poller.modify(listener.fd(), 0, kListener);
            accept_paused = true;
            accept_resume = Clock::now() + kAcceptPause;
          }
          break;
        case kStop:
          break;  // seen at the top of the loop
        case kWorkers:
          workers.run_finished();
          break;
        case kInput:
          if (input_ready && input.read_into(room)) {
            end_chat("you ended the chat");
          }
          break;
        default:
          if (stage.owns(ev.data.u64)) {
            stage.on_ready(ev.data.u64, ev.events);
          } else {
            room.on_ready(ev.data.u64, ev.events);
          }
      }
    }
    if (input_ready && input.always_ready() && room.takes_input() && input.read_into(room)) {
      end_chat("you ended the chat");
    }
  }
}

}  // namespace cryptochat::chat
