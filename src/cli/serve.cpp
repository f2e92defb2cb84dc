#include "cli/serve.hpp"

#include <fmt/format.h>
#include <cerrno>
#include <chrono>
#include <memory>
#include <optional>

#include "chat/handshake_pool.hpp"
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
  std::size_t max_handshakes = 64;
};

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
  chat::PoolLimits limits;
  limits.timeout = std::chrono::milliseconds(static_cast<long long>(opts.handshake_timeout * 1000));
  limits.max_pending = opts.max_handshakes;
  chat::HandshakePool pool(
      identity, name,
      [&](const crypto::PublicKey& key) {
        if (allowed && !allowed->allows(key.fingerprint())) {
          throw AuthError(
              fmt::format("key {} is not authorized on this server", key.fingerprint()));
        }
      },
      limits, console);
  while (auto joined = pool.next_peer(listener, stop.fd())) {
    // One session at a time for now: handshakes still under way are told to come back later.
    pool.refuse_all("the server is busy with another session; try again later");
    chat::Connection& conn = *joined->conn;
    const std::string peer_name = printable(joined->established.peer_name);
    const std::string peer_fp = joined->established.peer_key.fingerprint();
    console.info("{} ({}) joined from {}", peer_name, peer_fp, conn.peer());
    chat::SessionResult result;
    try {
      result =
          chat::StreamSession(conn, std::move(joined->established), io, console, stop.fd()).run();
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
  cmd->add_option("--max-handshakes", opts->max_handshakes,
                  "Connections allowed in the handshake at once; past it the oldest is dropped")
      ->capture_default_str()
      ->type_name("N")
      ->check(CLI::Range(1, 100000));
  add_identity_options(*cmd, opts->identity);
  return when_parsed(cmd, opts, serve);
}

}  // namespace cryptochat::cli
