#include "chat/terminal_view.hpp"

#include <fmt/format.h>
#include <ctime>
#include <limits>
#include <vector>

#include "crypto/fingerprint.hpp"
#include "term/colour.hpp"
#include "util/file.hpp"
#include "util/text.hpp"

namespace cryptochat::chat {

namespace {

// A line longer than this is shown in pieces rather than buffered without bound.
constexpr std::size_t kMaxLine = std::size_t{64} * 1024;
// What a tab in a message is shown as.
constexpr std::string_view kTabSpaces = "    ";

std::string stamp_now() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  ::localtime_r(&now, &local);
  char stamp[16];
  if (std::strftime(stamp, sizeof stamp, "%H:%M:%S", &local) == 0) {
    stamp[0] = '\0';
  }
  return stamp;
}

// Length of the UTF-8 sequence whose lead byte is b (1 for anything that is not a lead byte:
// printable() output is valid UTF-8, so that does not happen there).
std::size_t sequence_length(unsigned char b) {
  if (b >= 0xF0) {
    return 4;
  }
  if (b >= 0xE0) {
    return 3;
  }
  if (b >= 0xC0) {
    return 2;
  }
  return 1;
}

// Builds the rows of one message, breaking them before the width is reached.
class RowWriter {
 public:
  RowWriter(const wire::Participant& sender, const LineStyle& style)
      : key_hash_(sender.key_hash),
        colour_(style.colour),
        budget_(style.width == 0 ? std::numeric_limits<std::size_t>::max()
                                 : std::max<std::size_t>(style.width, 2) - 1) {}

  // Appends text (safe to show, no newline) to the current row, breaking rows as needed;
  // painted: in the sender's colour.
  void add(std::string_view text, bool painted) {
    for (std::size_t i = 0; i < text.size();) {
      const std::size_t len =
          std::min(sequence_length(static_cast<unsigned char>(text[i])), text.size() - i);
      const std::string_view one = text.substr(i, len);
      const std::size_t w = term::cautious_width(one);
      // A row holds at least one character after its start, however narrow the terminal.
      if (used_ + w > budget_ && used_ > row_start_) {
        new_row();
      }
      if (painted != painting_) {
        end_run();
        painting_ = painted;
      }
      run_.append(one);
      used_ += w;
      i += len;
    }
  }

  // Ends the current row and starts a continuation row.
  void new_row() {
    end_row();
    out_.append("  ");
    out_.append(term::paint("|", key_hash_, colour_));
    out_.push_back(' ');
    used_ = row_start_ = kContinuation.size();
  }

  std::string finish() {
    end_row();
    return std::move(out_);
  }

 private:
  void end_run() {
    out_.append(painting_ ? term::paint(run_, key_hash_, colour_) : run_);
    run_.clear();
  }
  void end_row() {
    end_run();
    out_.push_back('\n');
  }

  wire::KeyHash key_hash_;
  bool colour_;
  std::size_t budget_;
  std::string out_;
  std::string run_;  // characters not yet in out_, all painted or all plain
  bool painting_ = false;
  std::size_t used_ = 0;       // columns of the current row
  std::size_t row_start_ = 0;  // columns the current row's start (the marker) takes
};

// The text of one line of a message, safe to show: controls neutralised, tabs as spaces.
std::string shown_text(std::string_view line) {
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  const std::string safe = printable(line);
  std::string out;
  out.reserve(safe.size());
  for (const char c : safe) {
    if (c == '\t') {
      out.append(kTabSpaces);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::size_t columns_of(const ViewOutput& out) {
  if (out.width != 0) {
    return out.width;
  }
  if (out.editor != nullptr) {
    return out.editor->columns();
  }
  return term::terminal_columns(out.fd);
}

}  // namespace

void NameBook::note(const wire::Participant& p) {
  const std::string key = name_key(p.name);
  const auto it = by_name_.find(key);
  if (it == by_name_.end()) {
    if (by_name_.size() >= kMaxNames) {
      full_ = true;
      return;
    }
    by_name_.emplace(key, Entry{p.key_hash, false});
  } else if (it->second.first != p.key_hash) {
    it->second.several = true;
  }
}

bool NameBook::shared(const wire::Participant& p) const {
  const auto it = by_name_.find(name_key(p.name));
  if (it == by_name_.end()) {
    return full_;
  }
  return it->second.several;
}

std::string format_message(const wire::Participant& sender, std::string_view text,
                           const LineStyle& style) {
  if (!text.empty() && text.back() == '\n') {
    text.remove_suffix(1);
  }
  RowWriter rows(sender, style);
  rows.add(fmt::format("[{}] ", stamp_now()), false);
  rows.add(shown_name(sender.name), true);
  if (style.fingerprint) {
    rows.add(fmt::format(" ({})",
                         crypto::short_fingerprint(crypto::fingerprint_of_hash(sender.key_hash))),
             false);
  }
  rows.add(": ", false);
  bool first = true;
  while (true) {
    const auto nl = text.find('\n');
    if (!first) {
      rows.new_row();
    }
    first = false;
    rows.add(shown_text(text.substr(0, nl)), false);
    if (nl == std::string_view::npos) {
      break;
    }
    text.remove_prefix(nl + 1);
  }
  return rows.finish();
}

std::string format_for(const ViewOutput& out, const wire::Participant& sender,
                       std::string_view text) {
  LineStyle style;
  style.width = columns_of(out);
  style.colour = out.colour;
  if (out.names != nullptr) {
    out.names->note(sender);
    style.fingerprint = out.names->shared(sender);
  }
  return format_message(sender, text, style);
}

TerminalView::TerminalView(ViewOutput out, wire::Participant peer)
    : out_(out), peer_(std::move(peer)) {}

void TerminalView::show(wire::ByteView data) {
  partial_.append(data.begin(), data.end());
  std::size_t start = 0;
  while (true) {
    const auto nl = partial_.find('\n', start);
    if (nl == std::string::npos) {
      break;
    }
    show_text(peer_, std::string_view(partial_).substr(start, nl - start));
    start = nl + 1;
  }
  partial_.erase(0, start);
  if (partial_.size() > kMaxLine) {
    flush();
  }
}

void TerminalView::flush() {
  if (!partial_.empty()) {
    show_text(peer_, partial_);
    partial_.clear();
  }
}

void TerminalView::show_message(const wire::Participant& sender, wire::ByteView data) {
  show_text(sender, wire::text_of(data));
}

void TerminalView::print(std::string_view text) const {
  if (out_.editor != nullptr) {
    out_.editor->print_above(text);
  } else {
    write_all(out_.fd, wire::bytes_of(text), "standard output");
  }
}

void TerminalView::show_text(const wire::Participant& sender, std::string_view text) const {
  print(format_for(out_, sender, text));
}

std::string describe(const wire::Participant& p) {
  return fmt::format("{} ({})", shown_name(p.name), crypto::fingerprint_of_hash(p.key_hash));
}

}  // namespace cryptochat::chat
