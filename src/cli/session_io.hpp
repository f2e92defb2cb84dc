// The standard streams as a chat session uses them.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <CLI/App.hpp>

#include <cstdio>
#include <string>
#include <string_view>

#include "chat/stream_session.hpp"
#include "crypto/fingerprint.hpp"
#include "crypto/keys.hpp"
#include "term/colour.hpp"
#include "term/line_editor.hpp"
#include "util/console.hpp"
#include "util/progress.hpp"

namespace cryptochat::cli {

inline chat::SessionIo standard_io() {
  chat::SessionIo io;
  io.in_fd = STDIN_FILENO;
  io.out_fd = STDOUT_FILENO;
  io.line_mode = ::isatty(STDIN_FILENO) != 0;
  io.terminal_out = ::isatty(STDOUT_FILENO) != 0;
  return io;
}

// For the interactive chat and the terminal view: line editing (both a terminal that can
// redraw), colours (only on such a terminal, not with --no-color or NO_COLOR) and who this side
// is (shown by /who and on its own lines).
inline void setup_chat_terminal(chat::SessionIo& io, const crypto::PrivateKey& identity,
                                const std::string& name, bool no_color) {
  const bool capable = term::can_redraw();
  io.line_editing = io.line_mode && io.terminal_out && capable;
  io.colour = io.terminal_out && capable && term::colour_wanted(io.out_fd, no_color);
  io.self.key_hash = crypto::spki_hash(identity.spki_der());
  io.self.name = name;
}

// Adds --no-color to a subcommand that chats.
inline void add_no_color_option(CLI::App& cmd, bool& no_color) {
  cmd.add_flag("--no-color", no_color,
               "Never colour names on the terminal (as with the NO_COLOR environment variable)");
}

// --progress for the standard streams: redrawn in place when stderr is a terminal; the size
// left in a regular file on stdin gives the percentage and the time left.
inline ProgressMeter::Settings standard_progress(const chat::SessionIo& io) {
  ProgressMeter::Settings settings;
  settings.terminal = ::isatty(STDERR_FILENO) != 0;
  if (io.line_editing) {
    // The line editor owns the terminal: a meter redrawn in place would break the typed line.
    // It prints a plain line now and then instead, above the typed line like every notice.
    settings.terminal = false;
    settings.sink = [](std::string_view text) {
      if (ConsoleSink* sink = console_sink()) {
        sink->console_line(text);
      } else {
        static_cast<void>(std::fwrite(text.data(), 1, text.size(), stderr));
      }
    };
  }
  struct stat st {};
  if (::fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode)) {
    const off_t at = ::lseek(STDIN_FILENO, 0, SEEK_CUR);
    if (at >= 0 && at <= st.st_size) {
      settings.total = static_cast<std::uint64_t>(st.st_size - at);
    }
  }
  return settings;
}

}  // namespace cryptochat::cli
