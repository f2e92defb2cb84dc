#include "chat/terminal_view.hpp"

#include <fmt/format.h>
#include <ctime>

#include "crypto/fingerprint.hpp"
#include "term/colour.hpp"
#include "util/file.hpp"
#include "util/text.hpp"

namespace cryptochat::chat {

namespace {
// A line longer than this is shown in pieces rather than buffered without bound.
constexpr std::size_t kMaxLine = std::size_t{64} * 1024;
}  // namespace

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
    show_line(peer_, std::string_view(partial_).substr(start, nl - start));
    start = nl + 1;
  }
  partial_.erase(0, start);
  if (partial_.size() > kMaxLine) {
    flush();
  }
}

void TerminalView::flush() {
  if (!partial_.empty()) {
    show_line(peer_, partial_);
    partial_.clear();
  }
}

void TerminalView::show_message(const wire::Participant& sender, wire::ByteView data) {
  std::string_view text = wire::text_of(data);
  while (!text.empty()) {
    const auto nl = text.find('\n');
    show_line(sender, text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
}

void TerminalView::print(std::string_view text) const {
  if (out_.editor != nullptr) {
    out_.editor->print_above(text);
  } else {
    write_all(out_.fd, wire::bytes_of(text), "standard output");
  }
}

void TerminalView::show_line(const wire::Participant& sender, std::string_view line) const {
  print(format_line(sender, line, out_.colour));
}

std::string describe(const wire::Participant& p) {
  return fmt::format("{} ({})", printable(p.name), crypto::fingerprint_of_hash(p.key_hash));
}

std::string format_line(const wire::Participant& sender, std::string_view line, bool colour) {
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  ::localtime_r(&now, &local);
  char stamp[16];
  if (std::strftime(stamp, sizeof stamp, "%H:%M:%S", &local) == 0) {
    stamp[0] = '\0';
  }
  return fmt::format("[{}] {}: {}\n", stamp,
                     term::paint(printable(sender.name), sender.key_hash, colour), printable(line));
}

}  // namespace cryptochat::chat
