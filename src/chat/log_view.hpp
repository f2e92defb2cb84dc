// How a chat is written to a file or a pipe as a log (`--format lines` or `json`): one line per
// line of text someone said, with the time (UTC), the kind, who said it (name and fingerprint)
// and the text; joins and leaves are lines of their own. A sender's data is joined into whole
// lines however the records cut it, each sender's apart from the others'. The format is
// specified in the man page (FORMAT) and README ("A room's log").
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "wire/bytes.hpp"
#include "wire/room_messages.hpp"

namespace cryptochat::chat {

enum class LogFormat {
  lines,  // TIME TAB KIND TAB NAME TAB FINGERPRINT TAB TEXT, name and text escaped
  json,   // one JSON object per line
};

enum class LogKind {
  message,  // a line of text, its newline received (not part of the text)
  partial,  // a piece of a line without its newline: the sender's next message continues it
  joined,
  left,
  present,   // already in the room when this side came
  verified,  // the room server admitted this participant's key from its allow list
};

// "message", "partial", "joined", "left", "present", "verified".
const char* log_kind_name(LogKind kind);

// "2026-12-07T15:34:47.123Z": UTC, milliseconds.
std::string log_time(std::chrono::system_clock::time_point time);

// A field of the lines format: \\ \t \r \n for a backslash, a tab, a carriage return and a
// newline, \xHH (lowercase) for every other control byte (C0, DEL), every byte of a C1 control
// and every byte that is not part of well-formed UTF-8; everything else as it is. Undoing
// these escapes gives back the exact bytes.
std::string escape_log_field(std::string_view bytes);

// True when bytes are well-formed UTF-8 (C1 controls included).
bool is_utf8(std::string_view bytes);

// One line of the log, with its newline. text: the message's bytes (events: ignored).
std::string format_log_line(LogFormat format, std::chrono::system_clock::time_point time,
                            LogKind kind, const wire::Participant& who, std::string_view text);

class LogView {
 public:
  // A sender's line longer than this is written in pieces (partial); all senders' unfinished
  // lines together are kept up to kMaxPending bytes and kMaxSenders senders, past which the
  // oldest is written out as partial.
  static constexpr std::size_t kMaxLine = std::size_t{64} * 1024;
  static constexpr std::size_t kMaxPending = std::size_t{1} << 20U;
  static constexpr std::size_t kMaxSenders = 1024;

  LogView(int fd, LogFormat format);

  // Data from sender: every line completed by it now, the rest kept until its newline comes.
  void message(const wire::Participant& sender, wire::ByteView data);
  // An event line; for `left`, what the one who left still had unfinished comes first.
  void event(LogKind kind, const wire::Participant& who);
  // Writes every unfinished line out (partial): the data ended.
  void flush();

 private:
  struct Pending {
    wire::Participant who;
    std::string text;
  };
  void write_line(LogKind kind, const wire::Participant& who, std::string_view text) const;
  void flush_at(std::size_t index);

  int fd_;
  LogFormat format_;
  std::vector<Pending> pending_;  // oldest first
  std::size_t pending_bytes_ = 0;
};

}  // namespace cryptochat::chat
