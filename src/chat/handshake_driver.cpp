#include "chat/handshake_driver.hpp"

#include <fmt/format.h>

#include <optional>

#include "net/net_error.hpp"
#include "util/signals.hpp"
#include "wire/handshake_messages.hpp"
#include "wire/protocol_error.hpp"

namespace cryptochat::chat {

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

void send_alert(Connection& conn, const Error& error, Side from) {
  wire::Alert alert{error.alert(), error.peer_text()};
  if (alert.code == AlertCode::not_authorized && from == Side::client) {
    // not_authorized is the server refusing the client's key; a client that refuses the
    // server's key has a failed handshake. The local message (which key was pinned or known,
    // file names) is for the user only: a server that may be an impostor learns nothing.
    alert = wire::Alert{AlertCode::handshake_failed, kClientDistrustText};
  }
  try {
    wire::append_frame(conn.outbox(), wire::FrameType::alert, wire::encode(alert));
    conn.flush_some();
  } catch (const std::exception&) {
    // The peer may be gone already; the local error is what matters.
  }
}

crypto::Established run_client_handshake(net::EventLoop& loop, Connection& conn,
                                         crypto::ClientHandshake& handshake,
                                         const IdentityCheck& check_server,
                                         net::Clock::time_point deadline, int stop_fd) {
  const auto start = net::Clock::now();
  std::optional<crypto::Established> established;
  try {
    net::EventLoop::Watch socket;
    socket = loop.watch(conn.fd(), conn.wanted_events(), [&](std::uint32_t events) {
      if ((events & EPOLLOUT) != 0) {
        conn.flush_some();
      }
      if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
        if (!conn.read_some()) {
          throw wire::ProtocolError(
              fmt::format("{} closed the connection during the handshake", conn.peer()));
        }
        if (process_handshake_frames(conn, handshake, check_server)) {
          established = handshake.take_established();
        }
      }
    });
    const auto stop = loop.watch(stop_fd, EPOLLIN,
                                 [](std::uint32_t) { throw interrupted(" during the handshake"); });
    const auto timer = loop.every_turn([&]() -> std::optional<net::Clock::time_point> {
      if (net::Clock::now() >= deadline) {
        const std::chrono::duration<double> waited = deadline - start;
        throw net::TimeoutError(
            fmt::format("handshake with {} timed out after {:.1f} s", conn.peer(), waited.count()));
      }
      socket.set_events(conn.wanted_events());
      return deadline;
    });
    conn.flush_some();
    // A stop signal ends the wait through its watch above (its pipe stays readable).
    loop.run_until([&] { return established.has_value(); });
    return std::move(*established);
  } catch (const Error& e) {
    send_alert(conn, e, Side::client);
    throw;
  } catch (const std::exception& e) {
    // A library error on the peer's bytes ends the handshake as any other failure does.
    const crypto::HandshakeError error = as_handshake_error(e);
    send_alert(conn, error, Side::client);
    throw crypto::HandshakeError(error);
  }
}

}  // namespace cryptochat::chat
