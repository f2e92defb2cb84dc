// `serve` as a chat hub: the listener, the handshakes (their RSA work on a worker pool), the
// room's participants, the operator's standard input and the stop signal, all on one loop.
#pragma once

#include <optional>
#include <string>

#include "chat/handshake_driver.hpp"
#include "chat/handshake_stage.hpp"
#include "chat/local_end.hpp"
#include "chat/room.hpp"
#include "crypto/keys.hpp"
#include "net/event_loop.hpp"
#include "net/listener.hpp"
#include "net/socket.hpp"
#include "trust/authorized_keys.hpp"
#include "util/console.hpp"

namespace cryptochat::chat {

// `--authorized-keys` of a running room, read again on SIGHUP.
struct AllowListReload {
  trust::SharedAuthorizedKeys* keys = nullptr;  // what the identity check and the room read
  std::string path;                             // the file, read again with the same checks
  int fd = -1;                                  // readable on SIGHUP (HangupSignal::fd())
};

struct RoomServerSettings {
  RoomSettings room;
  StageLimits handshakes;
  // Set: when fd turns readable the file is read again. Read and parsed, it replaces the list
  // (new handshakes and newcomers use it) and every participant it no longer has is ended
  // (ABORT "no longer authorized", `left` to the others); anyone still listed stays. A file
  // that cannot be read or parsed leaves the old list in place. One line on the console either
  // way.
  std::optional<AllowListReload> reload;
};

// Serves until a stop signal arrives (stop_fd), or the operator ends the chat (`sair` or
// `/quit` typed, or the end of input typed at a terminal); then every participant is sent QUIT
// and given a few seconds to confirm (the server then exits 0: a signal is how a room is
// stopped). A second signal meanwhile sends ABORT "interrupted" to everyone still there and
// throws Interrupted at once. Throws IoError when the server's own output fails.
// loop and local must outlive the call (local was made after loop: it watches stdin on it).
void run_room_server(net::EventLoop& loop, const crypto::PrivateKey& identity,
                     const std::string& name, IdentityCheck check, net::Listener& listener,
                     LocalEnd& local, const RoomServerSettings& settings, const Console& console,
                     int stop_fd);

}  // namespace cryptochat::chat
