// The line being typed at a terminal, edited with libedit (BSD licensed): cursor keys, Emacs
// editing keys, history of the lines entered. Input is asynchronous: the caller polls fd() with
// everything else and calls read() when it is readable, so messages keep arriving while a line
// is half typed, and print_above() shows them above it without breaking it.
//
// The terminal is in libedit's editing mode only while a LineEditor exists: the destructor puts
// it back as it was, on every way out (an exception, or the end after SIGINT/SIGTERM, which the
// program turns into an orderly end; libedit keeps ISIG, so Ctrl-C still raises SIGINT).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "util/console.hpp"

struct editline;
struct history;

namespace cryptochat::term {

struct Typed {
  enum class Kind {
    nothing,  // a key was handled; the line is not finished
    line,     // Enter: `line` is what was typed, without its newline
    end,      // Ctrl-D on an empty line, or the terminal went away
  };
  Kind kind = Kind::nothing;
  std::string line;
};

class LineEditor {
 public:
  // in_fd and out_fd must be terminals. While it exists, console lines (util/console.hpp) that
  // would go to a terminal on stderr are printed above the line instead.
  LineEditor(int in_fd, int out_fd, std::string prompt);
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;
  LineEditor(LineEditor&&) = delete;
  LineEditor& operator=(LineEditor&&) = delete;
  ~LineEditor();

  [[nodiscard]] int fd() const { return in_fd_; }
  // Handles what one key sends; blocks only for the rest of a key sequence already started.
  // A finished line is erased from the screen (the caller shows it the way it wants) and goes
  // into the history; a fresh prompt is drawn.
  Typed read();
  // Writes text (whole lines, each ending in '\n', already made safe to show) above the line
  // being typed, then redraws the prompt, the half-typed line and the cursor as they were.
  void print_above(std::string_view text);
  // The terminal's width in columns now (80 when it cannot tell): asked each time, so a
  // resized window is seen at once.
  [[nodiscard]] std::size_t columns() const;

 private:
  // Moves the cursor to the start of the prompt and clears from there to the end of the
  // screen; `upto_bytes` of the line are before the cursor.
  void erase_input(std::size_t upto_bytes, bool cursor_on_next_row);

  // Console lines (stderr is this terminal) go above the line too.
  class AboveSink final : public ConsoleSink {
   public:
    explicit AboveSink(LineEditor& editor) : editor_(editor) {}
    void console_line(std::string_view line) override;

   private:
    LineEditor& editor_;
  };

  struct EditLineDeleter {
    void operator()(editline* el) const;
  };
  struct HistoryDeleter {
    void operator()(struct history* h) const;
  };
  int in_fd_;
  int out_fd_;
  std::string prompt_;
  std::unique_ptr<struct history, HistoryDeleter> history_;
  std::unique_ptr<editline, EditLineDeleter> el_;
  AboveSink sink_{*this};
  ConsoleSink* previous_sink_ = nullptr;
  bool sink_installed_ = false;
  std::size_t known_width_ = 0;  // the width libedit was last told (0: not yet)
};

// Whether the terminal can be redrawn in place: TERM names one, and not "dumb" (where the
// interactive chat falls back to plain lines).
bool can_redraw();
// The same decision from TERM's value (nullptr: unset).
bool can_redraw(const char* term);

// Display width of UTF-8 text in terminal columns (wide characters count 2, controls 0).
std::size_t display_width(std::string_view text);

// The columns one character (one UTF-8 sequence, or one invalid byte) may take, erring wide so
// that rows measured with it never run past the terminal's edge: 2 for a wide character and for
// one the locale does not know, 1 for any other, combining marks and an invalid byte included.
std::size_t cautious_width(std::string_view one_char);

// The terminal width of fd in columns, 0 when fd is not a terminal (or it cannot tell).
std::size_t terminal_columns(int fd);

}  // namespace cryptochat::term
