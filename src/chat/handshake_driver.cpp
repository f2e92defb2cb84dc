#include "chat/handshake_driver.hpp"

#include <poll.h>

#include <fmt/format.h>
#include <cerrno>

#include "crypto/handshake_error.hpp"
#include "net/net_error.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"
#include "wire/handshake_messages.hpp"
#include "wire/protocol_error.hpp"

namespace cryptochat::chat {

namespace {

// Waits until the connection is readable; false when the stop fd fired.
void wait_readable(Connection& conn, std::chrono::steady_clock::time_point deadline, int stop_fd,
                   std::chrono::steady_clock::time_point start) {
  while (true) {
    pollfd fds[2] = {{conn.fd(), static_cast<short>(POLLIN | (conn.has_output() ? POLLOUT : 0)), 0},
                     {stop_fd, POLLIN, 0}};
    const int timeout = poll_timeout(deadline);
    if (timeout == 0) {
      const std::chrono::duration<double> waited = deadline - start;
      throw net::TimeoutError(
          fmt::format("handshake with {} timed out after {:.1f} s", conn.peer(), waited.count()));
    }
    const int n = ::poll(fds, stop_fd >= 0 ? 2 : 1, timeout);
    if (n < 0 && errno != EINTR) {
      throw net::NetError("poll failed: " + errno_text(errno));
    }
    if (StopSignals::stop_requested()) {
      throw Error(ExitCode::failure, "interrupted during the handshake");
    }
    if ((fds[0].revents & POLLOUT) != 0) {
      conn.flush_some();
    }
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      return;
    }
  }
}

template <typename Handshake>
crypto::Established drive(Connection& conn, Handshake& handshake, const IdentityCheck& check,
                          std::chrono::steady_clock::time_point deadline, int stop_fd,
                          bool is_server) {
  const auto start = std::chrono::steady_clock::now();
  try {
    conn.flush_some();
    while (true) {
      wait_readable(conn, deadline, stop_fd, start);
      if (!conn.read_some()) {
        throw wire::ProtocolError(
            fmt::format("{} closed the connection during the handshake", conn.peer()));
      }
      if (process_handshake_frames(conn, handshake, check)) {
        conn.flush_all(deadline);
        return handshake.take_established();
      }
    }
  } catch (const Error& e) {
    send_alert_now(conn, e, is_server);
    throw;
  } catch (const std::exception& e) {
    // A library error on the peer's bytes must end this handshake only, as any other failure
    // does: it becomes a HandshakeError, so a server goes on serving.
    const crypto::HandshakeError error = as_handshake_error(e);
    send_alert_now(conn, error, is_server);
    throw error;
  }
}

}  // namespace

template <typename Handshake>
bool process_handshake_frames(Connection& conn, Handshake& handshake, const IdentityCheck& check) {
  while (auto frame = conn.decoder().next()) {
    const auto event = handshake.on_frame(*frame, conn.outbox());
    if (event == crypto::HandshakeEvent::peer_identity) {
      check(*handshake.peer_key());
      handshake.accept(conn.outbox());
    } else if (event == crypto::HandshakeEvent::established) {
      conn.flush_some();
      return true;
    }
    conn.flush_some();
  }
  return false;
}

template bool process_handshake_frames(Connection&, crypto::ClientHandshake&, const IdentityCheck&);
template bool process_handshake_frames(Connection&, crypto::ServerHandshake&, const IdentityCheck&);

crypto::HandshakeError as_handshake_error(const std::exception& e) {
  return crypto::HandshakeError(fmt::format("handshake failed: {}", e.what()));
}

void send_alert_now(Connection& conn, const Error& error, bool is_server) {
  wire::Alert alert;
  // "not authorized" tells a client that the server refused its key; anything else is a
  // failed handshake.
  alert.code = wire::AlertCode::handshake_failed;
  if (is_server && error.code() == ExitCode::auth) {
    alert.code = wire::AlertCode::not_authorized;
  } else if (dynamic_cast<const crypto::UnsupportedVersion*>(&error) != nullptr) {
    alert.code = wire::AlertCode::unsupported_version;
  } else if (dynamic_cast<const wire::ServerFull*>(&error) != nullptr) {
    alert.code = wire::AlertCode::server_full;
  } else if (dynamic_cast<const net::TimeoutError*>(&error) != nullptr) {
    alert.code = wire::AlertCode::timeout;
  } else if (dynamic_cast<const crypto::HandshakeError*>(&error) == nullptr &&
             dynamic_cast<const wire::ProtocolError*>(&error) != nullptr) {
    alert.code = wire::AlertCode::protocol_error;  // bytes that are not the protocol at all
  }
  alert.text = error.what();
  if (dynamic_cast<const KeyError*>(&error) != nullptr) {
    // A local key that fails to load mid-handshake (it is set up while the hello goes out):
    // the peer learns that, not our file names or what is wrong with the key.
    alert.code = wire::AlertCode::internal_error;
    alert.text = "the peer could not use its own key";
  }
  try {
    wire::append_frame(conn.outbox(), wire::FrameType::alert, wire::encode(alert));
    conn.flush_some();
  } catch (const std::exception&) {
    // The peer may be gone already; the local error is what matters.
  }
}

crypto::Established run_client_handshake(Connection& conn, crypto::ClientHandshake& handshake,
                                         const IdentityCheck& check_server,
                                         std::chrono::steady_clock::time_point deadline,
                                         int stop_fd) {
  return drive(conn, handshake, check_server, deadline, stop_fd, false);
}

crypto::Established run_server_handshake(Connection& conn, crypto::ServerHandshake& handshake,
                                         const IdentityCheck& check_client,
                                         std::chrono::steady_clock::time_point deadline,
                                         int stop_fd) {
  handshake.start(conn.outbox());
  return drive(conn, handshake, check_client, deadline, stop_fd, true);
}

}  // namespace cryptochat::chat
