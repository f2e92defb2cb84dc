#include "term/line_editor.hpp"

#include <histedit.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <cwchar>

#include "util/error.hpp"
#include "util/file.hpp"

namespace cryptochat::term {

namespace {

// Lines kept for the up and down keys.
constexpr int kHistorySize = 500;

char* prompt_of(EditLine* el) {
  void* data = nullptr;
  el_get(el, EL_CLIENTDATA, &data);
  return static_cast<std::string*>(data)->data();
}

}  // namespace

bool can_redraw(const char* term) {
  return term != nullptr && *term != '\0' && std::string_view(term) != "dumb";
}

bool can_redraw() {
  return can_redraw(std::getenv("TERM"));  // NOLINT(concurrency-mt-unsafe)
}

std::size_t display_width(std::string_view text) {
  std::mbstate_t state{};
  std::size_t width = 0;
  while (!text.empty()) {
    wchar_t wc = 0;
    // With its own state, mbrtowc is thread safe.
    const std::size_t n =
        std::mbrtowc(&wc, text.data(), text.size(), &state);  // NOLINT(concurrency-mt-unsafe)
    if (n == 0 || n == static_cast<std::size_t>(-1) || n == static_cast<std::size_t>(-2)) {
      // An invalid or cut sequence: one column per byte, as a terminal shows a replacement.
      state = std::mbstate_t{};
      ++width;
      text.remove_prefix(1);
      continue;
    }
    const int w = ::wcwidth(wc);
    width += w > 0 ? static_cast<std::size_t>(w) : 0;
    text.remove_prefix(n);
  }
  return width;
}

std::size_t cautious_width(std::string_view one_char) {
  if (one_char.size() == 1 && static_cast<unsigned char>(one_char[0]) < 0x80) {
    return 1;
  }
  std::mbstate_t state{};
  wchar_t wc = 0;
  // With its own state, mbrtowc is thread safe.
  const std::size_t n = std::mbrtowc(&wc, one_char.data(), one_char.size(),
                                     &state);  // NOLINT(concurrency-mt-unsafe)
  if (n == 0 || n == static_cast<std::size_t>(-1) || n == static_cast<std::size_t>(-2)) {
    // Not UTF-8 to this locale (the "C" locale knows none): a terminal shows each byte in a
    // column of its own, or the character in one or two.
    return std::max<std::size_t>(2, one_char.size());
  }
  const int w = ::wcwidth(wc);
  return w == 0 || w == 1 ? 1 : 2;
}

std::size_t terminal_columns(int fd) {
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    return ws.ws_col;
  }
  return 0;
}

void LineEditor::EditLineDeleter::operator()(editline* el) const {
  el_end(el);  // restores the terminal's modes
}

void LineEditor::HistoryDeleter::operator()(struct history* h) const {
  history_end(h);
}

void LineEditor::AboveSink::console_line(std::string_view line) {
  try {
    editor_.print_above(line);
  } catch (const Error&) {
    static_cast<void>(std::fwrite(line.data(), 1, line.size(), stderr));
  }
}

LineEditor::LineEditor(int in_fd, int out_fd, std::string prompt)
    : in_fd_(in_fd), out_fd_(out_fd), prompt_(std::move(prompt)) {
  // libedit decodes typed UTF-8 by the locale; the environment's is the user's.
  static_cast<void>(std::setlocale(LC_CTYPE, ""));  // NOLINT(concurrency-mt-unsafe)
  history_.reset(::history_init());
  if (!history_) {
    throw IoError("cannot start the line editor: out of memory");
  }
  HistEvent ev{};
  ::history(history_.get(), &ev, H_SETSIZE, kHistorySize);
  ::history(history_.get(), &ev, H_SETUNIQUE, 1);
  el_.reset(el_init_fd("cryptochat", stdin, stdout, stderr, in_fd, out_fd, STDERR_FILENO));
  if (!el_) {
    throw IoError("cannot start the line editor on this terminal");
  }
  el_set(el_.get(), EL_EDITOR, "emacs");
  el_set(el_.get(), EL_HIST, history, history_.get());
  el_set(el_.get(), EL_CLIENTDATA, static_cast<void*>(&prompt_));
  el_set(el_.get(), EL_PROMPT, prompt_of);
  // No EL_SIGNAL: the program's own handlers (util/signals) stay in charge.
  el_source(el_.get(), nullptr);  // the user's ~/.editrc, as every libedit program reads
  // Unbuffered: each el_gets handles one key and returns, so the caller's event loop goes on.
  // This draws the prompt.
  el_set(el_.get(), EL_UNBUFFERED, 1);
  if (::isatty(STDERR_FILENO) != 0) {
    previous_sink_ = console_sink();
    console_sink() = &sink_;
    sink_installed_ = true;
  }
}

LineEditor::~LineEditor() {
  if (sink_installed_) {
    console_sink() = previous_sink_;
  }
  // Off the prompt line, so what is printed next starts at the left.
  const LineInfo* info = el_line(el_.get());
  erase_input(static_cast<std::size_t>(info->cursor - info->buffer), false);
  el_set(el_.get(), EL_UNBUFFERED, 0);
}

std::size_t LineEditor::columns() const {
  const std::size_t width = terminal_columns(out_fd_);
  return width > 0 ? width : 80;
}

void LineEditor::erase_input(std::size_t upto_bytes, bool cursor_on_next_row) {
  const LineInfo* info = el_line(el_.get());
  const std::size_t before =
      display_width(prompt_) + display_width(std::string_view(info->buffer, upto_bytes));
  const std::size_t rows_up = before / columns() + (cursor_on_next_row ? 1 : 0);
  std::string out;
  if (rows_up > 0) {
    out += fmt::format("\x1b[{}A", rows_up);
  }
  out += "\r\x1b[J";
  try {
    write_all(out_fd_, out, "the terminal");
  } catch (const Error&) {
    // The terminal is gone; nothing left to tidy.
  }
}

Typed LineEditor::read() {
  // Without EL_SIGNAL libedit is not told of a resize: look before each key (one ioctl), so the
  // line being typed wraps at the terminal's new width at once.
  if (const std::size_t width = columns(); width != known_width_) {
    known_width_ = width;
    el_resize(el_.get());
  }
  int count = 0;
  const char* got = el_gets(el_.get(), &count);
  if (got == nullptr || count <= 0) {
    if (count < 0) {
      return Typed{Typed::Kind::end, {}};  // the terminal went away or failed
    }
    return {};
  }
  std::string_view line(got, static_cast<std::size_t>(count));
  const bool eof = line.size() == 1 && line[0] == '\x04';  // Ctrl-D on an empty line
  if (!eof && line.back() != '\n') {
    return {};
  }
  Typed typed{eof ? Typed::Kind::end : Typed::Kind::line, {}};
  if (!eof) {
    line.remove_suffix(1);
    typed.line.assign(line);
    // libedit has moved below the finished line: take it off the screen.
    erase_input(line.size(), true);
    if (!typed.line.empty()) {
      HistEvent ev{};
      ::history(history_.get(), &ev, H_ENTER, typed.line.c_str());
    }
  } else {
    erase_input(0, false);
  }
  // A fresh, empty line with its prompt: leaving editing mode and entering it again resets the
  // line and all of libedit's state about it, as libedit's own readline callback interface
  // does. Keys typed ahead stay queued in the terminal (the modes change with TCSADRAIN).
  el_set(el_.get(), EL_UNBUFFERED, 0);
  el_set(el_.get(), EL_UNBUFFERED, 1);
  return typed;
}

void LineEditor::print_above(std::string_view text) {
  const LineInfo* info = el_line(el_.get());
  erase_input(static_cast<std::size_t>(info->cursor - info->buffer), false);
  write_all(out_fd_, text, "the terminal");
  // libedit takes the terminal's width again (it may have been resized: without EL_SIGNAL it
  // is not told), forgets what it drew and draws the prompt and line again, cursor in place.
  el_resize(el_.get());
  known_width_ = columns();
  el_set(el_.get(), EL_REFRESH);
}

}  // namespace cryptochat::term
