#include "client.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <fmt/format.h>
#include <array>
#include <cerrno>

#include "crypto/random.hpp"
#include "net/socket.hpp"
#include "util/error.hpp"
#include "util/text.hpp"
#include "wire/handshake_messages.hpp"
#include "wire/protocol_error.hpp"
#include "wire/room_messages.hpp"

namespace cryptochat::loadgen {

namespace {

// A line longer than this is nobody's probe line: it is dropped, so memory stays bounded.
constexpr std::size_t kMaxLine = 4096;

// One buffer for every client's reads (one thread). chat::Connection::read_some would make each
// decoder reserve 256 KiB, so 1000 idle clients would cost the load generator 256 MiB; feeding
// the decoder what actually arrived keeps a client's buffers at the size of its traffic.
std::array<std::uint8_t, std::size_t{64} * 1024> g_read_buffer;

}  // namespace

Client::Client(std::size_t index, const ClientSetup& setup)
    : index_(index), setup_(setup), name_(fmt::format("load-{}", index)) {}

int Client::fd() const {
  if (conn_) {
    return conn_->fd();
  }
  return connecting_.get();
}

std::uint32_t Client::interest() const {
  switch (phase_) {
    case Phase::connecting:
      return EPOLLOUT;
    case Phase::handshaking:
    case Phase::established:
    case Phase::closing:
    case Phase::draining:
      return EPOLLIN | (conn_->has_output() ? EPOLLOUT : 0U);
    default:
      return 0;
  }
}

void Client::start(const sockaddr* addr, socklen_t len) {
  phase_ = Phase::connecting;
  connecting_.reset(::socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!connecting_) {
    fail(fmt::format("cannot make a socket: {}", errno_text(errno)));
    return;
  }
  if (::connect(connecting_.get(), addr, len) == 0) {
    connected();
  } else if (errno != EINPROGRESS && errno != EINTR) {
    fail(fmt::format("cannot connect: {}", errno_text(errno)));
  }
}

void Client::connected() {
  // The loop writes each line in one go; Nagle's algorithm could only hold a close record back.
  const int one = 1;
  ::setsockopt(connecting_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  conn_.emplace(net::Socket(std::move(connecting_)));
  if (plain()) {
    // The kernel completes a connect before the server accepts it; a client counts as in only
    // once the server has spoken (ncat --chat greets every newcomer). Otherwise connects
    // outrun the server's accept queue and sit in SYN-ACK retransmission for seconds.
    phase_ = Phase::handshaking;
    return;
  }
  handshake_ =
      std::make_unique<crypto::ClientHandshake>(*setup_.identity, name_, crypto::system_rng());
  phase_ = Phase::handshaking;  // the server speaks first (SERVER_HELLO)
}

void Client::on_ready(std::uint32_t events) {
  try {
    if (phase_ == Phase::connecting) {
      int err = 0;
      socklen_t len = sizeof err;
      if (::getsockopt(connecting_.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
        err = errno;
      }
      if (err != 0) {
        fail(fmt::format("cannot connect: {}", errno_text(err)));
        return;
      }
      connected();
      return;
    }
    if (!conn_) {
      return;
    }
    if ((events & EPOLLOUT) != 0U) {
      flush();
    }
    if (conn_ && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0U) {
      read_ready();
    }
  } catch (const Error& e) {
    if (phase_ == Phase::handshaking && conn_ && !plain()) {
      chat::send_alert(*conn_, e, chat::Side::client);
    }
    fail(e.what());
  } catch (const std::exception& e) {
    if (phase_ == Phase::handshaking && conn_ && !plain()) {
      const auto error = chat::as_handshake_error(e);
      chat::send_alert(*conn_, error, chat::Side::client);
      fail(error.what());
    } else {
      fail(e.what());
    }
  }
}

void Client::read_ready() {
  // One read per readiness report, so that one busy socket cannot starve the others; epoll
  // (level-triggered) reports the rest next time round.
  const ssize_t n = ::read(conn_->fd(), g_read_buffer.data(), g_read_buffer.size());
  read_at_ = Clock::now();
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) {
      return;
    }
    throw IoError(fmt::format("connection lost: {}", errno_text(errno)));
  }
  if (n == 0) {
    connection_ended();
    return;
  }
  const wire::ByteView got(g_read_buffer.data(), static_cast<std::size_t>(n));
  if (phase_ == Phase::draining) {
    return;  // after the close handshake nothing more is expected; discard until the close
  }
  if (plain()) {
    if (phase_ == Phase::handshaking) {
      phase_ = Phase::established;
    }
    take_lines(wire::text_of(got));
    return;
  }
  conn_->decoder().feed(got);
  take_frames();
}

class Client::Events final : public chat::ChannelEvents {
 public:
  explicit Events(Client& client) : client_(client) {}
  void on_data(wire::ByteView /*data*/) override {}  // the server's operator: not measured
  void on_relay(const wire::Participant& /*sender*/, wire::ByteView data) override {
    client_.take_lines(wire::text_of(data));
  }
  void on_room_event(const wire::RoomEvent& event) override {
    if (event.kind == wire::RoomEventKind::joined && client_.setup_.on_joined) {
      client_.setup_.on_joined(event.who.name);
    }
  }
  void on_peer_end(bool quit) override {
    if (!client_.channel_->local_closed()) {
      // The server left first (the room closed, or it dropped us): the channel answers as a
      // real client does, but this client did not get to leave on its own terms.
      client_.error_ = fmt::format("the server ended the session ({})", quit ? "QUIT" : "END");
      client_.phase_ = Phase::closing;
    }
  }

 private:
  Client& client_;
};

void Client::take_frames() {
  if (phase_ == Phase::handshaking) {
    if (!chat::process_handshake_frames(*conn_, *handshake_, setup_.check_server)) {
      return;
    }
    // A room member leaves when the server ends, as a person at a terminal does.
    channel_.emplace(handshake_->take_established(),
                     chat::Channel::Settings{chat::Channel::Role::client, true});
    handshake_.reset();
    phase_ = Phase::established;
  }
  // Records may have arrived together with the handshake's last frame.
  Events events(*this);
  while (conn_ && (phase_ == Phase::established || phase_ == Phase::closing) &&
         channel_->receive_one(conn_->decoder(), conn_->outbox(), events)) {
  }
  flush();
  maybe_finish();
}

void Client::take_lines(std::string_view data) {
  lines_.append(data);
  std::size_t start = 0;
  for (auto nl = lines_.find('\n'); nl != std::string::npos; nl = lines_.find('\n', start)) {
    setup_.sink->on_line(index_, std::string_view(lines_).substr(start, nl - start), read_at_);
    start = nl + 1;
  }
  lines_.erase(0, start);
  if (lines_.size() > kMaxLine) {
    lines_.clear();
  }
}

void Client::send_line(std::string_view line) {
  if (phase_ != Phase::established) {
    return;
  }
  if (plain()) {
    conn_->outbox().insert(conn_->outbox().end(), line.begin(), line.end());
  } else {
    channel_->send_data(wire::bytes_of(line), conn_->outbox());
  }
  flush();
}

void Client::begin_close() {
  if (phase_ != Phase::established) {
    return;
  }
  if (plain()) {
    // ncat --chat has no close handshake: closing the socket is how a client leaves.
    conn_.reset();
    phase_ = Phase::closed;
    return;
  }
  channel_->end(conn_->outbox());
  phase_ = Phase::closing;
  flush();
  maybe_finish();
}

void Client::flush() {
  try {
    conn_->flush_some();
  } catch (const std::exception& e) {
    fail(e.what());
  }
}

void Client::maybe_finish() {
  if (phase_ == Phase::closing && channel_->complete() && conn_ && !conn_->has_output()) {
    // Everything confirmed both ways. Shut our side and read until the server closes, so the
    // kernel never answers unread bytes with a reset.
    conn_->shutdown_write();
    phase_ = Phase::draining;
  }
}

void Client::connection_ended() {
  switch (phase_) {
    case Phase::draining:
      conn_.reset();
      phase_ = Phase::closed;
      return;
    case Phase::handshaking:
      fail("the server closed the connection during the handshake");
      return;
    case Phase::closing:
      fail(channel_->peer_closed() ? "the server closed before confirming this client's END"
                                   : "the server closed before its END");
      return;
    default:
      fail("the server closed the connection");
      return;
  }
}

void Client::abandon(const std::string& why) {
  if (phase_ != Phase::closed && phase_ != Phase::failed) {
    fail(why);
  }
}

void Client::fail(const std::string& why) {
  if (error_.empty()) {
    error_ = why;
  }
  conn_.reset();
  connecting_.reset();
  handshake_.reset();
  phase_ = Phase::failed;
}

}  // namespace cryptochat::loadgen
