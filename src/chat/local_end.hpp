// This side of a chat: what it reads (standard input) and what it shows (standard output), the
// same for the one-to-one session and a room's operator. How input is taken is one mode, how
// output looks another; the command line picks both once (cli/local_end.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "chat/log_view.hpp"
#include "chat/terminal_view.hpp"
#include "chat/typed_input.hpp"
#include "net/event_loop.hpp"
#include "term/line_editor.hpp"
#include "util/progress.hpp"
#include "wire/bytes.hpp"
#include "wire/room_messages.hpp"

namespace cryptochat::chat {

enum class InputMode {
  pipe,         // bytes as they come, netcat's way; the end of input is this side's END
  lines,        // a terminal: each line is a message, and `sair` or `/quit` ends the chat
  interactive,  // a terminal on both ends that can redraw: line editing and /commands
};

enum class OutputMode {
  raw,       // what peers send, byte for byte
  terminal,  // "[HH:MM:SS] name: text" lines with every control neutralised
  lines,     // a log: one line per line said, tab-separated fields (chat/log_view.hpp)
  json,      // a log: one JSON object per line said
};

struct LocalSettings {
  int in_fd = 0;
  int out_fd = 1;
  InputMode input = InputMode::pipe;
  OutputMode output = OutputMode::raw;  // terminal whenever input is interactive
  bool colour = false;                  // terminal output only: names coloured by key
  // Raw output becomes a lines log once the peer shows it is a room (a RELAY or ROOM_EVENT):
  // `connect --format auto`, which cannot know beforehand.
  bool log_if_room = false;
  wire::Participant self;             // this side's key hash and name: /who, own lines
  ProgressMeter* progress = nullptr;  // --progress: counts what is read in and written out
};

// What the local side's input does, for whoever runs the chat.
struct InputHandlers {
  // send: a message or piped bytes (false when it was not sent, and said why); quit: `sair`
  // or `/quit`; who and fingerprints: the commands' answers.
  CommandHandlers commands;
  // The input reached its end (end of a pipe or file, Ctrl-D, a terminal that hung up).
  std::function<void()> ended;
};

class LocalEnd {
 public:
  explicit LocalEnd(LocalSettings settings);
  LocalEnd(const LocalEnd&) = delete;
  LocalEnd& operator=(const LocalEnd&) = delete;
  LocalEnd(LocalEnd&&) = delete;
  LocalEnd& operator=(LocalEnd&&) = delete;
  ~LocalEnd();

  [[nodiscard]] const LocalSettings& settings() const { return settings_; }
  [[nodiscard]] InputMode input_mode() const { return settings_.input; }

  // Starts taking input on loop; wanted at first.
  void start_input(net::EventLoop& loop, InputHandlers on);
  // Input is read only while wanted (the peer keeps up, the room is not held); a hung-up pipe
  // that is not wanted is not even watched, so it cannot spin the loop.
  void want_input(bool on);
  [[nodiscard]] bool input_open() const { return input_open_; }
  // No more input: the unfinished typed line, if any, is sent first.
  void close_input();
  // How many bytes of the input are there and not read yet: for a regular file what lies past
  // the read position, for a pipe or socket what it holds now (FIONREAD); 0 when that cannot be
  // known. Bytes read are always sent at once, so these are the bytes a peer's QUIT cuts off.
  [[nodiscard]] std::uint64_t unread_input_bytes() const;

  // This program's own text (command output, notices), whole lines already safe to show:
  // above the line being typed, or to the output.
  void print(std::string_view text) const;
  [[nodiscard]] ViewOutput view_output() const;
  [[nodiscard]] ProgressMeter* progress() const { return settings_.progress; }
  // The names shown on this side's screen (this side's own noted from the start).
  [[nodiscard]] NameBook& names() const { return *names_; }

 private:
  void on_readable(std::uint32_t events);
  void read_typed_key();
  void read_chunk();
  void input_ended();
  void watch_input();

  LocalSettings settings_;
  std::unique_ptr<term::LineEditor> editor_;  // the interactive chat only
  std::unique_ptr<NameBook> names_;
  net::EventLoop* loop_ = nullptr;
  InputHandlers on_;
  net::EventLoop::Watch watch_;
  bool input_open_ = false;
  bool wanted_ = false;
  TypedInput typed_;
  wire::Bytes buffer_;
};

// How one peer's data is shown: its partial line kept apart from everyone else's.
class PeerOutput {
 public:
  PeerOutput(const LocalEnd& local, wire::Participant peer);
  // The peer's own data.
  void show(wire::ByteView data);
  // What a room server relayed from someone else: a whole message.
  void show_relayed(const wire::Participant& sender, wire::ByteView data);
  // Writes out the partial line (the peer ended its data).
  void flush();
  // Log output only (lines, json), otherwise nothing: who joined, left or was there (a left
  // sender's unfinished line first), and what this side itself said (a room's operator).
  void show_event(wire::RoomEventKind kind, const wire::Participant& who);
  void show_own(wire::ByteView data);
  // The peer turned out to be a room (LocalSettings::log_if_room).
  void room_seen();

 private:
  const LocalEnd& local_;
  wire::Participant peer_;
  std::optional<TerminalView> view_;
  std::optional<LogView> log_;
};

}  // namespace cryptochat::chat
