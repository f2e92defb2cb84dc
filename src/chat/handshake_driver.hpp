// Drives a handshake state machine (crypto/handshake.hpp) over a Connection, and tells the
// peer why when it fails: the one place an error becomes an ALERT.
#pragma once

#include <chrono>
#include <functional>

#include "chat/connection.hpp"
#include "crypto/handshake.hpp"
#include "crypto/handshake_error.hpp"
#include "net/event_loop.hpp"
#include "util/error.hpp"

namespace cryptochat::chat {

// Decides on the peer's key once it is known; throws (AuthError) to refuse it.
using IdentityCheck = std::function<void(const crypto::PublicKey&)>;

// Runs the client's side on loop until it is established, the deadline passes (TimeoutError)
// or a stop signal arrives (stop_fd readable). On failure the server gets an alert saying why
// (best effort) and the error is thrown on.
crypto::Established run_client_handshake(net::EventLoop& loop, Connection& conn,
                                         crypto::ClientHandshake& handshake,
                                         const IdentityCheck& check_server,
                                         net::Clock::time_point deadline, int stop_fd);

// Feeds the frames the decoder holds to the handshake, answering the peer's identity with
// check then accept(); true once established (take_established() is then ready).
template <typename Handshake>
bool process_handshake_frames(Connection& conn, Handshake& handshake, const IdentityCheck& check);

// A library failure on the peer's bytes, as the HandshakeError it must be reported as.
crypto::HandshakeError as_handshake_error(const std::exception& e);

enum class Side { client, server };

// All a client that refuses the server's key tells it (PROTOCOL.md section 7).
inline constexpr const char* kClientDistrustText = "the client does not trust this server's key";

// Appends an ALERT with the error's own code and text (PROTOCOL.md section 3) and sends what
// the socket takes right now. Never throws: the peer may be gone already.
void send_alert(Connection& conn, const Error& error, Side from);

}  // namespace cryptochat::chat
