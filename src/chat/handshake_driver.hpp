// Runs a handshake state machine over a Connection, blocking with poll() until it is done, the
// deadline passes, or a stop signal arrives. On failure the peer gets an alert saying why
// (best effort) and the error is thrown on.
#pragma once

#include <chrono>
#include <functional>

#include "chat/connection.hpp"
#include "crypto/handshake.hpp"
#include "crypto/handshake_error.hpp"
#include "util/error.hpp"

namespace cryptochat::chat {

// Decides on the peer's key once it is known; throws (AuthError) to refuse it.
using IdentityCheck = std::function<void(const crypto::PublicKey&)>;

crypto::Established run_client_handshake(Connection& conn, crypto::ClientHandshake& handshake,
                                         const IdentityCheck& check_server,
                                         std::chrono::steady_clock::time_point deadline,
                                         int stop_fd);

crypto::Established run_server_handshake(Connection& conn, crypto::ServerHandshake& handshake,
                                         const IdentityCheck& check_client,
                                         std::chrono::steady_clock::time_point deadline,
                                         int stop_fd);

// Feeds the frames the decoder holds to the handshake, answering the peer's identity with
// check then accept(); true once established (take_established() is then ready).
template <typename Handshake>
bool process_handshake_frames(Connection& conn, Handshake& handshake, const IdentityCheck& check);

// A library failure on the peer's bytes, as the HandshakeError it must be reported as.
crypto::HandshakeError as_handshake_error(const std::exception& e);

// Sends an alert and as much of the outbox as the socket takes right now.
void send_alert_now(Connection& conn, const Error& error, bool is_server);

}  // namespace cryptochat::chat
