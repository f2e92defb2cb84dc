#include "cli/serve.hpp"

#include <poll.h>

#include <fmt/format.h>
#include <cerrno>
#include <chrono>
#include <memory>
#include <optional>

#include "chat/handshake_driver.hpp"
#include "chat/stream_session.hpp"
#include "cli/identity.hpp"
#include "cli/non_empty.hpp"
#include "cli/session_io.hpp"
#include "cli/subcommand.hpp"
#include "crypto/random.hpp"
#include "net/net_error.hpp"
#include "net/socket.hpp"
#include "trust/authorized_keys.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"
#include "util/text.hpp"

namespace cryptochat::cli {

namespace {

struct ServeOptions {
  IdentityOptions identity;
  std::uint16_t port = 5000;
  std::string bind;
  bool once = false;
  std::string authorized_keys;
  double handshake_timeout = 10;
};

// Waits for a connection; nullopt when a stop signal came first.
std::optional<net::Socket> wait_for_peer(net::Listener& listener, const StopSignals& stop) {
  while (!StopSignals::stop_requested()) {
    pollfd fds[2] = {{listener.fd(), POLLIN, 0}, {stop.fd(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) {
      throw net::NetError("poll failed: " + errno_text(errno));
    }
    if ((fds[0].revents & POLLIN) != 0) {
      if (auto socket = listener.accept()) {
        return socket;
      }
    }
  }
  return std::nullopt;
}

void serve(const ServeOptions& opts, const Console& console) {
  ignore_sigpipe();
  const StopSignals stop;
  const auto identity = load_identity(opts.identity, console);
  const std::string name = display_name(opts.identity);
  std::optional<trust::AuthorizedKeys> allowed;
  if (!opts.authorized_keys.empty()) {
    allowed = trust::AuthorizedKeys::load(opts.authorized_keys);
  }
  auto listener = net::Listener::open(
      opts.bind.empty() ? std::nullopt : std::optional<std::string>(opts.bind), opts.port);
  listener.set_nonblocking(true);
  console.info("listening on {} as {} ({})", listener.local_name(), name,
               identity.public_key().fingerprint());
  if (allowed) {
    console.info("admitting only the {} keys in {}", allowed->size(), opts.authorized_keys);
  }

  chat::SessionIo io = standard_io();
  const auto timeout =
      std::chrono::milliseconds(static_cast<long long>(opts.handshake_timeout * 1000));
  while (auto socket = wait_for_peer(listener, stop)) {
    chat::Connection conn(std::move(*socket));
    crypto::ServerHandshake handshake(identity, name, crypto::system_rng());
    std::optional<crypto::Established> established;
    try {
      established = chat::run_server_handshake(
          conn, handshake,
          [&](const crypto::PublicKey& key) {
            if (allowed && !allowed->allows(key.fingerprint())) {
              throw AuthError(
                  fmt::format("key {} is not authorized on this server", key.fingerprint()));
            }
          },
          std::chrono::steady_clock::now() + timeout, stop.fd());
    } catch (const Error& e) {
      // A peer that fails the handshake is not a session: the server keeps serving.
      console.warn("{}: {}", conn.peer(), e.what());
      if (StopSignals::stop_requested()) {
        return;
      }
      continue;
    }
    const std::string peer_name = printable(established->peer_name);
    const std::string peer_fp = established->peer_key.fingerprint();
    console.info("{} ({}) joined from {}", peer_name, peer_fp, conn.peer());
    chat::SessionResult result;
    try {
      result = chat::StreamSession(conn, std::move(*established), io, console, stop.fd()).run();
    } catch (const std::exception& e) {
      if (opts.once) {
        throw;
      }
      // One peer's failure ends its session only.
      console.warn("{} ({}): {}", peer_name, conn.peer(), e.what());
      continue;
    }
    console.info("{} ({}) left", peer_name, peer_fp);
    if (result.input_ended) {
      io.in_fd = -1;  // standard input is used up: later sessions get none
    }
    if (opts.once || result.end == chat::SessionEnd::stopped ||
        result.end == chat::SessionEnd::local_quit) {
      return;
    }
  }
}

}  // namespace

Command add_serve(CLI::App& app) {
  auto opts = std::make_shared<ServeOptions>();
  auto* cmd = app.add_subcommand("serve", "Wait for peers and talk to them, end-to-end encrypted");
  cmd->add_option("--port,-p", opts->port, "TCP port to listen on (0: any free port)")
      ->capture_default_str()
      ->type_name("N");
  cmd->add_option("--bind,-b", opts->bind, "Address to listen on [default: all IPv4 and IPv6]")
      ->type_name("ADDR")
      ->check(kNonEmpty);
  cmd->add_flag("--once", opts->once, "Serve one session, then exit with its status");
  cmd->add_option("--authorized-keys", opts->authorized_keys,
                  "Admit only the keys in FILE (public key PEM blocks and SHA256: fingerprints)")
      ->type_name("FILE")
      ->check(kNonEmpty);
  add_seconds_option(*cmd, "--handshake-timeout", opts->handshake_timeout,
                     "Drop a connection that has not finished the handshake in this many seconds");
  add_identity_options(*cmd, opts->identity);
  return when_parsed(cmd, opts, serve);
}

}  // namespace cryptochat::cli
