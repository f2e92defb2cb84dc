#include "chat/room_server.hpp"

#include <fmt/format.h>

#include "crypto/fingerprint.hpp"
#include "net/acceptor.hpp"
#include "net/event_loop.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"

namespace cryptochat::chat {

namespace {

using Clock = net::Clock;

// After the chat is ended, how long participants get to confirm before they are cut.
constexpr auto kCloseGrace = std::chrono::seconds(5);

// What the operator's typed lines and commands do in a room.
CommandHandlers operator_commands(LocalEnd& local, Room& room, bool& left) {
  CommandHandlers on;
  on.send = [&local, &room](wire::ByteView line) {
    if (room.empty()) {
      local.print("nobody is in the room to hear it; not sent\n");
      return false;
    }
    room.broadcast(line);
    return true;
  };
  on.quit = [&left] { left = true; };
  on.who = [&local, &room] {
    std::string text = fmt::format("you:    {}\n", describe(local.settings().self));
    const char* mark = room.keys_listed() ? " [verified]" : "";
    for (const auto& p : room.participants()) {
      text += fmt::format("client: {}{}\n", describe(p), mark);
    }
    return text;
  };
  on.fingerprints = [&local] {
    return fmt::format("your fingerprint: {}\n",
                       crypto::fingerprint_of_hash(local.settings().self.key_hash));
  };
  on.show = [&local](std::string_view text) { local.print(text); };
  return on;
}

}  // namespace

void run_room_server(net::EventLoop& loop, const crypto::PrivateKey& identity,
                     const std::string& name, IdentityCheck check, net::Listener& listener,
                     LocalEnd& local, const RoomServerSettings& settings, const Console& console,
                     int stop_fd) {
  Room room(settings.room, local, console, loop);
  HandshakeStage stage(identity, name, std::move(check), settings.handshakes, console, loop,
                       [&room](JoinedPeer peer) { room.join(std::move(peer)); });
  net::Acceptor acceptor(
      loop, listener,
      [&](net::Socket socket) {
        if (room.full()) {
          refuse_connection(std::move(socket),
                            fmt::format("the room is full ({} clients)", settings.room.max_clients),
                            console);
        } else {
          stage.start(std::move(socket));
        }
      },
      console);

  bool closing = false;
  Clock::time_point close_deadline;
  const auto end_chat = [&](const char* why) {
    if (closing) {
      return;
    }
    closing = true;
    close_deadline = Clock::now() + kCloseGrace;
    console.info("{}: ending the chat for {} participant(s)", why, room.size());
    acceptor.stop();
    stage.refuse_all("the server is shutting down");
    local.close_input();
    room.close();
  };

  net::EventLoop::Watch stop = loop.watch(stop_fd, EPOLLIN, [&](std::uint32_t) {
    StopSignals::drain(stop_fd);
    if (closing) {
      // A second signal: the server leaves now, telling everyone still there.
      room.abort("interrupted");
      throw interrupted();
    }
    end_chat("stopped");
  });
  bool left = false;  // the operator ended the chat
  InputHandlers input;
  input.commands = operator_commands(local, room, left);
  // A piped input that runs out leaves the room going; a person's end of input ends the chat.
  input.ended = [&] { left = left || local.input_mode() != InputMode::pipe; };
  local.start_input(loop, std::move(input));
  const auto operator_turn = loop.every_turn([&]() -> std::optional<Clock::time_point> {
    if (left) {
      end_chat("you ended the chat");
    }
    // Keys typed at the interactive chat are always read, so the line can be edited while the
    // room is empty or held: a typed line is small, and a participant that is not reading is
    // still dropped once its queue is full.
    local.want_input(local.input_mode() == InputMode::interactive || room.takes_input());
    if (closing) {
      return close_deadline;
    }
    return std::nullopt;
  });
  loop.run_until([&] { return closing && (room.empty() || Clock::now() >= close_deadline); });
}

}  // namespace cryptochat::chat
