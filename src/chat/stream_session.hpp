// One established session between this side's local end (stdin/stdout) and one peer, as
// netcat would move bytes but with the close handshake of PROTOCOL.md: nothing counts as
// delivered until the peer confirms it wrote it out, and a cut connection is an error, never a
// quiet end.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>
#include <vector>

#include "chat/channel.hpp"
#include "chat/connection.hpp"
#include "chat/local_end.hpp"
#include "crypto/handshake.hpp"
#include "net/event_loop.hpp"
#include "util/console.hpp"

namespace cryptochat::chat {

enum class SessionEnd {
  finished,    // both sides ended their data and confirmed the other's
  local_quit,  // the user typed sair or /quit
  peer_quit,   // the peer's user did
  stopped,     // a stop signal ended a chat typed at a terminal (QUIT, confirmed)
};

// How long a session waits for the peer once this side's END was confirmed: the peer must send
// something (a record of any kind) at least this often until its own END. 0: for ever.
inline constexpr auto kDefaultEndTimeout = std::chrono::seconds(30);

// Why a session ended, in words: "both sides ended their data (EOF both ways)", ...
const char* describe(SessionEnd end);

struct SessionResult {
  SessionEnd end = SessionEnd::finished;
  ChannelCounts counts;
};

class StreamSession final : ChannelEvents {
 public:
  // role: Channel::Role::client when the peer is a server (it may be a room); local must have
  // been made after loop. The session runs on loop, which it shares with what came before it.
  // stop_fd: StopSignals::fd(). end_timeout: see kDefaultEndTimeout (0: none).
  StreamSession(net::EventLoop& loop, Connection& conn, crypto::Established established,
                Channel::Role role, LocalEnd& local, const Console& console, int stop_fd,
                std::chrono::milliseconds end_timeout = kDefaultEndTimeout);
  // Runs the session to its end. Stop signals (StopSignals): piped input, or a chat whose own
  // end was sent already, is interrupted, never ended in order: ABORT "interrupted" to the
  // peer, then Interrupted (exit status 128 + the signal). A chat typed at a terminal ends as
  // with /quit (QUIT; the peer confirms). A second signal ends the session at once. Any error
  // after the handshake is sent to the peer as an ABORT (abort_text) before it is thrown on.
  // A peer's QUIT that cuts piped input short (bytes were still waiting in it) closes the
  // session in order and then throws Error (exit status 1): not everything was delivered.
  SessionResult run();

 private:
  void on_data(wire::ByteView data) override;
  void on_relay(const wire::Participant& sender, wire::ByteView data) override;
  void on_room_event(const wire::RoomEvent& event) override;
  void on_peer_end(bool quit) override;

  void on_socket(std::uint32_t events);
  void on_stop();
  std::optional<net::Clock::time_point> tick();
  // An error ended the session: the peer is told why (ABORT) so it does not report success,
  // and the error is thrown on once the peer has read that and closed, or after a grace time.
  // False when there is nothing to wait for (nothing sent, or a second signal: at once).
  bool fail(const std::exception_ptr& error);
  [[nodiscard]] bool finished() const;
  InputHandlers input_handlers();

  net::EventLoop& loop_;
  Connection& conn_;
  Channel channel_;
  LocalEnd& local_;
  const Console& console_;
  int stop_fd_;
  wire::Participant peer_;  // who is at the other end, for the view and /who
  PeerOutput output_;
  struct Other {
    wire::Participant who;
    bool verified = false;  // the server said its key is on its list (ROOM_EVENT verified)
  };
  std::vector<Other> others_;  // in a room: who else is there (ROOM_EVENTs)
  net::EventLoop::Watch socket_;
  net::EventLoop::Watch stop_;
  net::EventLoop::Watch ticker_;
  std::chrono::milliseconds end_timeout_;
  net::Clock::time_point last_heard_;  // the peer's last bytes
  std::optional<net::Clock::time_point> stop_deadline_;
  bool connection_closed_ = false;
  bool output_failed_ = false;  // the error is our output's: the peer's data was not written
  bool at_once_ = false;        // a second stop signal: no more waiting
  std::exception_ptr failure_;  // thrown once the ABORT is out
  std::optional<net::Clock::time_point> failure_deadline_;
  SessionEnd end_ = SessionEnd::finished;
  // The peer's QUIT came while our piped input still held this many bytes: they were never
  // sent, so the session ends in an error once it closed in order (PROTOCOL.md section 6).
  std::uint64_t input_cut_off_ = 0;
};

}  // namespace cryptochat::chat
