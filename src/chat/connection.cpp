#include "chat/connection.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>

#include "net/net_error.hpp"

namespace cryptochat::chat {

Connection::Connection(net::Socket socket) : socket_(std::move(socket)) {
  peer_ = socket_.peer_name();
  socket_.set_nonblocking(true);
  // Every write is a whole record or more, so Nagle's algorithm only adds delay: with delayed
  // ACKs it held each small handshake flight and chat line back by up to 40 ms.
  socket_.set_nodelay(true);
}

void Connection::flush_some() {
  while (has_output()) {
    const ssize_t n = socket_.write_some(wire::ByteView(outbox_).subspan(sent_));
    if (n < 0) {
      break;  // would block
    }
    sent_ += static_cast<std::size_t>(n);
  }
  if (!has_output()) {
    outbox_.clear();
    sent_ = 0;
  } else if (sent_ > (1U << 20U) && sent_ * 2 > outbox_.size()) {
    // Drop the sent prefix now and then, so the outbox does not grow with the whole transfer.
    outbox_.erase(outbox_.begin(), outbox_.begin() + static_cast<std::ptrdiff_t>(sent_));
    sent_ = 0;
  }
}

void Connection::flush_all(std::chrono::steady_clock::time_point deadline) {
  flush_some();
  while (has_output()) {
    pollfd pfd{fd(), POLLOUT, 0};
    const int timeout = poll_timeout(deadline);
    if (timeout == 0) {
      throw net::NetError("timed out sending to " + peer_);
    }
    if (::poll(&pfd, 1, timeout) < 0 && errno != EINTR) {
      throw net::NetError("poll failed");
    }
    flush_some();
  }
}

void Connection::close_gracefully(std::chrono::steady_clock::time_point deadline) noexcept {
  try {
    flush_all(deadline);
    shutdown_write();
    while (true) {
      pollfd pfd{fd(), POLLIN, 0};
      const int timeout = poll_timeout(deadline);
      if (timeout == 0 || ::poll(&pfd, 1, timeout) <= 0) {
        return;
      }
      std::uint8_t discard[4096];
      const ssize_t n = socket_.read_some(discard);
      if (n == 0) {
        return;
      }
    }
  } catch (const std::exception&) {
    // The peer is gone already; nothing is left to deliver.
  }
}

void Connection::release_idle_memory() {
  decoder_.release_if_empty();
  if (!has_output() && outbox_.capacity() > 0) {
    wire::Bytes().swap(outbox_);
    sent_ = 0;
  }
}

bool Connection::read_some(std::size_t chunk) {
  auto area = decoder_.prepare(chunk);
  const ssize_t n = socket_.read_some(area.first(std::min(area.size(), chunk)));
  if (n < 0) {
    decoder_.commit(0);
    return true;  // nothing there yet
  }
  decoder_.commit(static_cast<std::size_t>(n));
  return n > 0;
}

int poll_timeout(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<long long>(left.count(), 1 << 30));
}

}  // namespace cryptochat::chat
