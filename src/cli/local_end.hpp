// This side's local end (chat/local_end.hpp) on the standard streams: the one place the
// command line decides how input is taken and output shown.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <CLI/App.hpp>

#include <cstdio>
#include <string>
#include <string_view>

#include "chat/local_end.hpp"
#include "crypto/fingerprint.hpp"
#include "crypto/keys.hpp"
#include "term/colour.hpp"
#include "util/console.hpp"
#include "util/progress.hpp"

namespace cryptochat::cli {

// Input from a terminal is typed lines (the interactive chat when the output is that kind of
// terminal too and it can redraw); output to a terminal is shown as lines, coloured by key on
// a terminal that can redraw (not with --no-color or NO_COLOR). self: who this side is (shown
// by /who and on its own lines).
inline chat::LocalSettings standard_local_settings(const crypto::PrivateKey& identity,
                                                   const std::string& name, bool no_color) {
  chat::LocalSettings local;
  local.in_fd = STDIN_FILENO;
  local.out_fd = STDOUT_FILENO;
  const bool typed = ::isatty(STDIN_FILENO) != 0;
  const bool terminal_out = ::isatty(STDOUT_FILENO) != 0;
  const bool capable = term::can_redraw();
  if (typed) {
    local.input = terminal_out && capable ? chat::InputMode::interactive : chat::InputMode::lines;
  }
  local.output = terminal_out ? chat::OutputMode::terminal : chat::OutputMode::raw;
  local.colour = terminal_out && capable && term::colour_wanted(local.out_fd, no_color);
  local.self.key_hash = crypto::spki_hash(identity.spki_der());
  local.self.name = name;
  return local;
}

// What `--format auto` means where it is given.
enum class AutoFormat {
  raw,             // serve --once: a one-to-one pipe is byte-exact
  lines,           // a room server: it knows it is a room
  raw_until_room,  // connect: byte-exact until the server shows it is a room, then lines
};

// --format: how standard output looks when it is not a terminal (a terminal always shows the
// chat's "[HH:MM:SS] name: text" lines).
inline void add_format_option(CLI::App& cmd, std::string& format, const std::string& help) {
  cmd.add_option("--format", format, help)
      ->capture_default_str()
      ->type_name("auto|raw|lines|json")
      ->check(CLI::IsMember({"auto", "raw", "lines", "json"}));
}

inline void apply_format(chat::LocalSettings& local, const std::string& format, AutoFormat dflt) {
  if (local.output == chat::OutputMode::terminal) {
    return;
  }
  if (format == "lines") {
    local.output = chat::OutputMode::lines;
  } else if (format == "json") {
    local.output = chat::OutputMode::json;
  } else if (format == "raw") {
    local.output = chat::OutputMode::raw;
  } else if (dflt == AutoFormat::lines) {
    local.output = chat::OutputMode::lines;
  } else {
    local.output = chat::OutputMode::raw;
    local.log_if_room = dflt == AutoFormat::raw_until_room;
  }
}

// Adds --no-color to a subcommand that chats.
inline void add_no_color_option(CLI::App& cmd, bool& no_color) {
  cmd.add_flag("--no-color", no_color,
               "Never colour names on the terminal (as with the NO_COLOR environment variable)");
}

// --progress for the standard streams: redrawn in place when stderr is a terminal; the size
// left in a regular file on stdin gives the percentage and the time left.
inline ProgressMeter::Settings standard_progress(const chat::LocalSettings& local) {
  ProgressMeter::Settings settings;
  settings.terminal = ::isatty(STDERR_FILENO) != 0;
  if (local.input == chat::InputMode::interactive) {
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
