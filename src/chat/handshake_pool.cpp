#include "chat/handshake_pool.hpp"

#include <poll.h>

#include <fmt/format.h>
#include <cerrno>
#include <vector>

#include "crypto/random.hpp"
#include "net/net_error.hpp"
#include "util/signals.hpp"
#include "wire/protocol_error.hpp"

namespace cryptochat::chat {

HandshakePool::HandshakePool(const crypto::PrivateKey& identity, std::string name,
                             IdentityCheck check, PoolLimits limits, const Console& console)
    : identity_(identity),
      name_(std::move(name)),
      check_(std::move(check)),
      limits_(limits),
      console_(console) {}

void HandshakePool::drop(std::size_t index, const Error& error, bool log) {
  Pending& p = pending_[index];
  if (log) {
    console_.warn("{}: {}", p.conn->peer(), error.what());
  }
  send_alert_now(*p.conn, error, true);
  pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(index));
}

void HandshakePool::refuse_all(const std::string& why) {
  while (!pending_.empty()) {
    drop(0, wire::ServerFull(why), true);
  }
}

void HandshakePool::accept_all(net::Listener& listener) {
  // Take every connection waiting in the backlog, so a burst is seen at once.
  for (int taken = 0; taken < 256; ++taken) {
    auto socket = listener.accept();
    if (!socket) {
      return;
    }
    if (pending_.size() >= limits_.max_pending) {
      drop(0,
           wire::ServerFull(fmt::format("dropped: {} connections were already in the handshake",
                                        limits_.max_pending)),
           true);
    }
    try {
      auto conn = std::make_unique<Connection>(std::move(*socket));
      auto handshake =
          std::make_unique<crypto::ServerHandshake>(identity_, name_, crypto::system_rng());
      handshake->start(conn->outbox());
      conn->flush_some();
      pending_.push_back(Pending{std::move(conn), std::move(handshake),
                                 std::chrono::steady_clock::now() + limits_.timeout});
    } catch (const Error& e) {
      console_.warn("a new connection failed: {}", e.what());
    }
  }
}

std::optional<JoinedPeer> HandshakePool::service(std::size_t index, short revents) {
  Pending& p = pending_[index];
  try {
    if ((revents & POLLOUT) != 0) {
      p.conn->flush_some();
    }
    if ((revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
      return std::nullopt;
    }
    if (!p.conn->read_some()) {
      throw wire::ProtocolError("closed the connection during the handshake");
    }
    if (process_handshake_frames(*p.conn, *p.handshake, check_)) {
      JoinedPeer joined{std::move(p.conn), p.handshake->take_established()};
      pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(index));
      return joined;
    }
  } catch (const Error& e) {
    drop(index, e, true);
  } catch (const std::exception& e) {
    drop(index, as_handshake_error(e), true);
  }
  return std::nullopt;
}

std::optional<JoinedPeer> HandshakePool::next_peer(net::Listener& listener, int stop_fd) {
  std::vector<pollfd> fds;
  while (!StopSignals::stop_requested()) {
    // Expire handshakes past their deadline, and find the next deadline.
    const auto now = std::chrono::steady_clock::now();
    for (std::size_t i = pending_.size(); i-- > 0;) {
      if (pending_[i].deadline <= now) {
        drop(i,
             net::TimeoutError(fmt::format(
                 "handshake timed out after {} s",
                 std::chrono::duration_cast<std::chrono::duration<double>>(limits_.timeout)
                     .count())),
             true);
      }
    }
    int timeout = -1;
    for (const auto& p : pending_) {
      const int left = poll_timeout(p.deadline);
      timeout = timeout < 0 ? left : std::min(timeout, left);
    }

    fds.clear();
    fds.push_back({listener.fd(), POLLIN, 0});
    fds.push_back({stop_fd, POLLIN, 0});
    for (const auto& p : pending_) {
      fds.push_back(
          {p.conn->fd(), static_cast<short>(POLLIN | (p.conn->has_output() ? POLLOUT : 0)), 0});
    }
    if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) {
      throw net::NetError("poll failed: " + errno_text(errno));
    }
    if (StopSignals::stop_requested()) {
      break;
    }
    // Service existing connections first (from the back, so erasing keeps indexes valid).
    for (std::size_t i = pending_.size(); i-- > 0;) {
      if (fds[2 + i].revents != 0) {
        if (auto joined = service(i, fds[2 + i].revents)) {
          return joined;
        }
      }
    }
    if ((fds[0].revents & POLLIN) != 0) {
      accept_all(listener);
    }
  }
  return std::nullopt;
}

}  // namespace cryptochat::chat
