#include "chat/connection.hpp"

#include <sys/epoll.h>

#include <algorithm>
#include <cerrno>

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

std::uint32_t Connection::wanted_events() const {
  return EPOLLIN | (has_output() ? static_cast<std::uint32_t>(EPOLLOUT) : 0U);
}

void Connection::start_closing() {
  closing_ = true;
  decoder_.release_if_empty();
}

bool Connection::close_some() {
  try {
    flush_some();
    if (!has_output() && !write_shut_) {
      shutdown_write();
      write_shut_ = true;
    }
    std::uint8_t discard[4096];
    while (true) {
      const ssize_t n = socket_.read_some(discard);
      if (n == 0) {
        return true;
      }
      if (n < 0) {
        return false;  // nothing more now
      }
    }
  } catch (const std::exception&) {
    return true;  // the peer is gone already; nothing is left to deliver
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

}  // namespace cryptochat::chat
