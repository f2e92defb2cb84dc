#include "chat/local_end.hpp"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>

#include "util/error.hpp"
#include "util/file.hpp"
#include "wire/frame.hpp"

namespace cryptochat::chat {

namespace {
// Where the cursor waits in the interactive chat.
constexpr std::string_view kPrompt = "> ";
}  // namespace

LocalEnd::LocalEnd(LocalSettings settings)
    : settings_(std::move(settings)), names_(std::make_unique<NameBook>()) {
  names_->note(settings_.self);
  if (settings_.input == InputMode::interactive) {
    settings_.output = OutputMode::terminal;
    editor_ =
        std::make_unique<term::LineEditor>(settings_.in_fd, settings_.out_fd, std::string(kPrompt));
  } else {
    buffer_.resize(wire::kMaxRecordData);
  }
}

LocalEnd::~LocalEnd() = default;

void LocalEnd::start_input(net::EventLoop& loop, InputHandlers on) {
  loop_ = &loop;
  on_ = std::move(on);
  // However the chat is ended from here (a quit word, /quit), nothing more is read.
  on_.commands.quit = [this, quit = std::move(on_.commands.quit)] {
    input_open_ = false;
    watch_input();
    quit();
  };
  input_open_ = true;
  wanted_ = true;
  watch_input();
}

void LocalEnd::watch_input() {
  if (input_open_ && wanted_ && !watch_.active()) {
    watch_ = loop_->watch(settings_.in_fd, EPOLLIN,
                          [this](std::uint32_t events) { on_readable(events); });
  } else if ((!input_open_ || !wanted_) && watch_.active()) {
    watch_.reset();
  }
}

void LocalEnd::want_input(bool on) {
  wanted_ = on;
  if (loop_ != nullptr) {
    watch_input();
  }
}

void LocalEnd::close_input() {
  if (!input_open_) {
    return;
  }
  input_open_ = false;
  watch_input();
  typed_.finish([this](wire::ByteView line) { on_.commands.send(line); });
}

std::uint64_t LocalEnd::unread_input_bytes() const {
  struct stat st {};
  if (::fstat(settings_.in_fd, &st) != 0) {
    return 0;
  }
  if (S_ISREG(st.st_mode)) {
    const off_t at = ::lseek(settings_.in_fd, 0, SEEK_CUR);
    return at >= 0 && at < st.st_size ? static_cast<std::uint64_t>(st.st_size - at) : 0;
  }
  int pending = 0;
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): ioctl's interface
  if (::ioctl(settings_.in_fd, FIONREAD, &pending) != 0 || pending < 0) {
    return 0;
  }
  return static_cast<std::uint64_t>(pending);
}

void LocalEnd::input_ended() {
  close_input();
  on_.ended();
}

void LocalEnd::on_readable(std::uint32_t events) {
  if (!input_open_) {
    return;
  }
  if (editor_) {
    if ((events & EPOLLIN) == 0) {
      input_ended();  // the terminal hung up: nothing more will be typed
    } else {
      read_typed_key();
    }
    return;
  }
  read_chunk();
}

void LocalEnd::read_typed_key() {
  const term::Typed typed = editor_->read();
  if (typed.kind == term::Typed::Kind::end) {
    input_ended();  // Ctrl-D
  } else if (typed.kind == term::Typed::Kind::line) {
    run_typed_line(interpret_line(typed.line),
                   Typist{settings_.self, view_output(), settings_.progress}, on_.commands);
  }
}

void LocalEnd::read_chunk() {
  const ssize_t n = ::read(settings_.in_fd, buffer_.data(), buffer_.size());
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN) {
      return;
    }
    throw IoError(fmt::format("cannot read standard input: {}", errno_text(errno)));
  }
  if (n == 0) {
    input_ended();
    return;
  }
  const wire::ByteView got(buffer_.data(), static_cast<std::size_t>(n));
  if (settings_.progress != nullptr) {
    settings_.progress->sent(got.size());
  }
  if (settings_.input == InputMode::pipe) {
    on_.commands.send(got);
    return;
  }
  if (typed_.feed(got, [this](wire::ByteView line) { on_.commands.send(line); })) {
    on_.commands.quit();  // a quit word: what follows it is never sent
  }
}

void LocalEnd::print(std::string_view text) const {
  if (editor_) {
    editor_->print_above(text);
  } else {
    write_all(settings_.out_fd, wire::bytes_of(text), "standard output");
  }
}

ViewOutput LocalEnd::view_output() const {
  return ViewOutput{settings_.out_fd, editor_.get(), settings_.colour, names_.get(), 0};
}

PeerOutput::PeerOutput(const LocalEnd& local, wire::Participant peer)
    : local_(local), peer_(std::move(peer)) {
  switch (local.settings().output) {
    case OutputMode::terminal:
      view_.emplace(local.view_output(), peer_);
      break;
    case OutputMode::lines:
      log_.emplace(local.settings().out_fd, LogFormat::lines);
      break;
    case OutputMode::json:
      log_.emplace(local.settings().out_fd, LogFormat::json);
      break;
    case OutputMode::raw:
      break;
  }
}

void PeerOutput::show(wire::ByteView data) {
  if (view_) {
    view_->show(data);
  } else if (log_) {
    log_->message(peer_, data);
  } else {
    write_all(local_.settings().out_fd, data, "standard output");
  }
  if (local_.progress() != nullptr) {
    local_.progress()->received(data.size());
  }
}

void PeerOutput::show_relayed(const wire::Participant& sender, wire::ByteView data) {
  if (view_) {
    view_->show_message(sender, data);
  } else if (log_) {
    log_->message(sender, data);
  } else {
    write_all(local_.settings().out_fd, data, "standard output");
  }
  if (local_.progress() != nullptr) {
    local_.progress()->received(data.size());
  }
}

void PeerOutput::flush() {
  if (view_) {
    view_->flush();
  } else if (log_) {
    log_->flush();
  }
}

void PeerOutput::show_event(wire::RoomEventKind kind, const wire::Participant& who) {
  if (!log_) {
    return;
  }
  switch (kind) {
    case wire::RoomEventKind::joined:
      log_->event(LogKind::joined, who);
      break;
    case wire::RoomEventKind::left:
      log_->event(LogKind::left, who);
      break;
    case wire::RoomEventKind::present:
      log_->event(LogKind::present, who);
      break;
    case wire::RoomEventKind::verified:
      log_->event(LogKind::verified, who);
      break;
  }
}

void PeerOutput::show_own(wire::ByteView data) {
  if (log_) {
    log_->message(local_.settings().self, data);
  }
}

void PeerOutput::room_seen() {
  if (!view_ && !log_ && local_.settings().log_if_room) {
    log_.emplace(local_.settings().out_fd, LogFormat::lines);
  }
}

}  // namespace cryptochat::chat
