// One established session between this process's stdin/stdout and one peer, as netcat would
// move bytes but with the close handshake of PROTOCOL.md: nothing counts as delivered until
// the peer confirms it wrote it out, and a cut connection is an error, never a quiet end.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chat/close_state.hpp"
#include "chat/connection.hpp"
#include "chat/terminal_view.hpp"
#include "chat/typed_input.hpp"
#include "crypto/handshake.hpp"
#include "term/line_editor.hpp"
#include "util/console.hpp"
#include "util/progress.hpp"

namespace cryptochat::chat {

struct SessionIo {
  int in_fd = 0;  // -1: no input (it ended in an earlier session)
  int out_fd = 1;
  bool line_mode = false;       // input is a terminal: a line is a message, `sair`/`/quit` end
  bool terminal_out = false;    // output is a terminal: show name and time, neutralise controls
  bool peer_may_relay = false;  // the peer is a server: it may relay others and announce them
  bool colour = false;          // terminal_out and colour wanted: names coloured by key
  bool line_editing = false;    // line_mode and terminal_out on a terminal that can redraw
  wire::Participant self;       // this side's key hash and name, for /who and own lines
  ProgressMeter* progress = nullptr;  // --progress: counts what is read in and written out
};

enum class SessionEnd {
  finished,    // both sides ended their data and confirmed the other's
  local_quit,  // the user typed sair or /quit
  peer_quit,   // the peer's user did
  stopped,     // SIGINT or SIGTERM
};

// What went each way, for --verbose: DATA (and relayed) records and their payload bytes.
struct SessionCounts {
  std::uint64_t records_sent = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t records_received = 0;
  std::uint64_t bytes_received = 0;
};

struct SessionResult {
  SessionEnd end = SessionEnd::finished;
  bool input_ended = false;  // stdin reached its end (later sessions must not read it)
  SessionCounts counts;
};

// Why a session ended, in words: "both sides ended their data (EOF both ways)", ...
const char* describe(SessionEnd end);

// Both a terminal: the interactive chat (line editing, commands, lines shown above the line
// being typed). Otherwise the exact netcat behaviour (line_mode only adds the quit words).
inline bool interactive(const SessionIo& io) {
  return io.line_mode && io.terminal_out && io.line_editing;
}

// The error for a peer's ABORT record: its reason, made safe to print.
[[noreturn]] void throw_peer_aborted(wire::ByteView reason);

class StreamSession {
 public:
  StreamSession(Connection& conn, crypto::Established established, SessionIo io,
                const Console& console, int stop_fd);
  SessionResult run();

 private:
  void read_input();
  void read_typed_line();
  void run_command(const TypedLine& typed);
  void on_room_event(const wire::RoomEvent& event);
  void send_data(wire::ByteView data);
  void close_local(crypto::ContentType how);
  void handle_record(const crypto::OpenedRecord& record);
  // sender: who said it, when a room server relays another participant's data.
  void deliver(wire::ByteView data, const wire::Participant* sender = nullptr);
  [[noreturn]] void connection_ended();
  [[nodiscard]] bool done() const;

  Connection& conn_;
  crypto::Established est_;
  SessionIo io_;
  const Console& console_;
  int stop_fd_;
  wire::Participant peer_;                    // who is at the other end, for the view and /who
  std::unique_ptr<term::LineEditor> editor_;  // the interactive chat only; before view_
  std::optional<TerminalView> view_;
  std::vector<wire::Participant> others_;  // in a room: who else is there (ROOM_EVENTs)
  TypedInput typed_;
  wire::Bytes input_chunk_;
  bool input_open_;
  bool input_ended_ = false;
  CloseState close_;
  SessionEnd end_ = SessionEnd::finished;
  SessionCounts counts_;
};

}  // namespace cryptochat::chat
