// One client session of the load generator, as a state machine that never blocks: a nonblocking
// TCP connect, the client handshake (crypto::ClientHandshake driven by
// chat::process_handshake_frames), the established session (a chat::Channel, as the real client
// has: records in, lines out) and the orderly close of PROTOCOL.md (END, then END_ACK both
// ways). In plain mode the same states carry
// raw lines, to compare with `ncat --chat`. The fleet calls on_ready() from its epoll loop.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "chat/channel.hpp"
#include "chat/connection.hpp"
#include "chat/handshake_driver.hpp"
#include "crypto/handshake.hpp"
#include "crypto/keys.hpp"
#include "util/unique_fd.hpp"

namespace cryptochat::loadgen {

using Clock = std::chrono::steady_clock;

// Hears every whole line a client receives: the data of RELAY records in a room, the raw
// lines in plain mode. `when` is the moment the bytes were read (one clock for all clients).
class LineSink {
 public:
  LineSink() = default;
  LineSink(const LineSink&) = delete;
  LineSink& operator=(const LineSink&) = delete;
  virtual ~LineSink() = default;
  virtual void on_line(std::size_t client, std::string_view line, Clock::time_point when) = 0;

 protected:
  LineSink(LineSink&&) = default;
  LineSink& operator=(LineSink&&) = default;
};

// What every client shares: one identity key is enough, the server only sees names.
struct ClientSetup {
  const crypto::PrivateKey* identity = nullptr;  // null: plain TCP, no handshake
  chat::IdentityCheck check_server;              // refuses a server key (pinning)
  LineSink* sink = nullptr;
  // Told the name in every "joined" ROOM_EVENT: proof that the server has that client in.
  std::function<void(std::string_view name)> on_joined;
};

enum class Phase {
  idle,         // not started
  connecting,   // TCP connect under way
  handshaking,  // cryptochat handshake under way (plain: waiting for the server's greeting)
  established,  // in the room
  closing,      // END sent (or received): finishing the close handshake
  draining,     // all confirmed; our side shut, waiting for the server's close
  closed,       // done (cleanly unless error() says otherwise)
  failed,       // gave up: error() says why
};

class Client {
 public:
  Client(std::size_t index, const ClientSetup& setup);

  // Starts a nonblocking connect; a failure right away leaves the client failed.
  void start(const sockaddr* addr, socklen_t len);
  // Handles the epoll events reported for fd().
  void on_ready(std::uint32_t events);
  // One line to the room: a DATA record, or the raw bytes in plain mode.
  void send_line(std::string_view line);
  // Leaves: END and the close handshake, or (plain mode) close right away.
  void begin_close();
  // Gives up (a deadline passed): the socket is closed and the client counts as failed.
  void abandon(const std::string& why);

  [[nodiscard]] int fd() const;
  // The epoll events wanted now; 0 when there is no socket.
  [[nodiscard]] std::uint32_t interest() const;
  [[nodiscard]] Phase phase() const { return phase_; }
  // Connecting or handshaking: what --concurrency bounds.
  [[nodiscard]] bool pending() const {
    return phase_ == Phase::connecting || phase_ == Phase::handshaking;
  }
  // Still holds a socket after the room phase (closing or draining).
  [[nodiscard]] bool ending() const {
    return phase_ == Phase::closing || phase_ == Phase::draining;
  }
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  [[nodiscard]] bool plain() const { return setup_.identity == nullptr; }
  void connected();
  void read_ready();
  void take_frames();
  class Events;  // what the channel hands over
  void take_lines(std::string_view data);
  void connection_ended();
  void maybe_finish();
  void flush();
  void fail(const std::string& why);

  std::size_t index_;
  const ClientSetup& setup_;
  std::string name_;
  Phase phase_ = Phase::idle;
  std::string error_;
  UniqueFd connecting_;  // the socket until the connect completes
  std::optional<chat::Connection> conn_;
  std::unique_ptr<crypto::ClientHandshake> handshake_;  // only while handshaking
  std::optional<chat::Channel> channel_;
  std::string lines_;  // received bytes after the last newline
  Clock::time_point read_at_;
};

}  // namespace cryptochat::loadgen
