#include "chat/room_server.hpp"

#include <fmt/format.h>

#include "chat/verify.hpp"
#include "crypto/fingerprint.hpp"
#include "net/acceptor.hpp"
#include "net/event_loop.hpp"
#include "trust/authorized_keys.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"

namespace cryptochat::chat {

namespace {

using Clock = net::Clock;

// After the chat is ended, how long participants get to confirm before they are cut.
constexpr auto kCloseGrace = std::chrono::seconds(5);

// What the operator's typed lines and commands do in a room. own: the log's view of what the
// operator says.
CommandHandlers operator_commands(LocalEnd& local, Room& room, PeerOutput& own, bool& left) {
  CommandHandlers on;
  on.send = [&local, &room, &own](wire::ByteView line) {
    if (room.empty()) {
      local.print("nobody is in the room to hear it; not sent\n");
      return false;
    }
    room.broadcast(line);
    own.show_own(line);
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
  on.verify = [&local, &room] {
    return verify_room_text(local.settings().self, room.sas_of_participants());
  };
  on.show = [&local](std::string_view text) { local.print(text); };
  return on;
}

// Reads the allow list again (RoomServerSettings::reload); one line on the console.
void reload_allow_list(const AllowListReload& reload, Room& room, const Console& console) {
  std::optional<trust::AuthorizedKeys> fresh;
  try {
    fresh = trust::AuthorizedKeys::load(reload.path);
  } catch (const Error& e) {
    console.warn("SIGHUP: authorized keys not reloaded, keeping the {} keys read before: {}",
                 reload.keys->size(), e.what());
    return;
  }
  const std::size_t count = fresh->size();
  reload.keys->replace(std::move(*fresh));
  const std::size_t removed = room.remove_unadmitted();
  console.info("reloaded authorized keys from {}: {} keys ({} members removed)", reload.path, count,
               removed);
}

}  // namespace

void run_room_server(net::EventLoop& loop, const crypto::PrivateKey& identity,
                     const std::string& name, IdentityCheck check, net::Listener& listener,
                     LocalEnd& local, const RoomServerSettings& settings, const Console& console,
                     int stop_fd) {
  RoomSettings room_settings = settings.room;
  if (settings.reload) {
    room_settings.admits = [keys = settings.reload->keys](const crypto::PublicKey& key) {
      return keys->allows(key.fingerprint());
    };
  }
  Room room(room_settings, local, console, loop);
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
  net::EventLoop::Watch hangup;
  if (settings.reload) {
    hangup = loop.watch(settings.reload->fd, EPOLLIN, [&](std::uint32_t) {
      StopSignals::drain(settings.reload->fd);
      reload_allow_list(*settings.reload, room, console);
    });
  }
  bool left = false;  // the operator ended the chat
  PeerOutput own(local, local.settings().self);
  InputHandlers input;
  input.commands = operator_commands(local, room, own, left);
  // A piped input that runs out leaves the room going; a person's end of input ends the chat.
  input.ended = [&] {
    own.flush();
    left = left || local.input_mode() != InputMode::pipe;
  };
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
  own.flush();
}

}  // namespace cryptochat::chat
