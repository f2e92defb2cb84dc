#include "chat/terminal_view.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <ctime>

#include "util/error.hpp"
#include "util/text.hpp"

namespace cryptochat::chat {

namespace {
// A line longer than this is shown in pieces rather than buffered without bound.
constexpr std::size_t kMaxLine = std::size_t{64} * 1024;
}  // namespace

void write_all(int fd, wire::ByteView data, const char* what) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw IoError(fmt::format("cannot write to {}: {}", what, errno_text(errno)));
    }
    data = data.subspan(static_cast<std::size_t>(n));
  }
}

TerminalView::TerminalView(int fd, const std::string& peer_name)
    : fd_(fd), peer_name_(printable(peer_name)) {}

void TerminalView::show(wire::ByteView data) {
  partial_.append(data.begin(), data.end());
  std::size_t start = 0;
  while (true) {
    const auto nl = partial_.find('\n', start);
    if (nl == std::string::npos) {
      break;
    }
    show_line(peer_name_, std::string_view(partial_).substr(start, nl - start));
    start = nl + 1;
  }
  partial_.erase(0, start);
  if (partial_.size() > kMaxLine) {
    flush();
  }
}

void TerminalView::flush() {
  if (!partial_.empty()) {
    show_line(peer_name_, partial_);
    partial_.clear();
  }
}

void TerminalView::show_message(std::string_view sender, wire::ByteView data) {
  const std::string name = printable(sender);
  std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  while (!text.empty()) {
    const auto nl = text.find('\n');
    show_line(name, text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
}

void TerminalView::show_line(std::string_view name, std::string_view line) const {
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
  const std::string text = fmt::format("[{}] {}: {}\n", stamp, name, printable(line));
  write_all(fd_, wire::bytes_of(text), "standard output");
}

}  // namespace cryptochat::chat
