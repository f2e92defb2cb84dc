#include "cli/serve.hpp"

#include <fmt/format.h>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>

#include "chat/handshake_stage.hpp"
#include "chat/room_server.hpp"
#include "chat/stream_session.hpp"
#include "chat/verify.hpp"
#include "cli/checks.hpp"
#include "cli/first_contact.hpp"
#include "cli/identity.hpp"
#include "cli/local_end.hpp"
#include "cli/non_empty.hpp"
#include "cli/subcommand.hpp"
#include "crypto/rsa_op_pool.hpp"
#include "net/acceptor.hpp"
#include "net/event_loop.hpp"
#include "net/listener.hpp"
#include "net/socket.hpp"
#include "trust/authorized_keys.hpp"
#include "util/error.hpp"
#include "util/fd_limit.hpp"
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
  double hello_timeout = 3;
  std::size_t max_handshakes = 64;
  std::size_t max_per_source = 16;
  std::size_t max_clients = 1000;
  double idle_timeout = 0;  // 0: no limit
  double end_timeout = 30;  // 0: no limit
  std::string format = "auto";
  bool progress = false;
  bool no_color = false;
};

// Descriptors besides the clients' and handshakes': standard streams, listener, epoll, ...
constexpr std::size_t kSpareDescriptors = 32;

constexpr const char* kBusyWithAnotherSession =
    "the server is busy with another session; try again later";

// One peer, one session: the original two-person chat. The first handshake that completes
// wins; the stage and the acceptor stay for the session, so that every other connection (those
// in the handshake then, and those arriving later) is told promptly that the server is busy.
void serve_once(net::EventLoop& loop, const chat::StageLimits& limits,
                const crypto::PrivateKey& identity, const std::string& name,
                chat::IdentityCheck check, net::Listener& listener,
                const chat::LocalSettings& settings, int stop_fd,
                std::chrono::milliseconds end_timeout, const Console& console) {
  std::optional<chat::JoinedPeer> joined;
  chat::StageLimits one_worker = limits;
  one_worker.worker_threads = 1;
  // The stage calls this only once constructed, so it may refer to the stage itself.
  chat::HandshakeStage stage(identity, name, std::move(check), one_worker, console, loop,
                             [&joined, &stage](chat::JoinedPeer peer) {
                               if (!joined) {
                                 joined = std::move(peer);
                                 // Handshakes still under way, queued connections and those
                                 // from now on are told the server is taken.
                                 stage.refuse_all(kBusyWithAnotherSession);
                               }
                             });
  net::Acceptor acceptor(
      loop, listener, [&stage](net::Socket socket) { stage.start(std::move(socket)); }, console);
  {
    // Wakes the loop; run_until sees the request (the pipe stays readable: no more waiting).
    const auto stop = loop.watch(stop_fd, EPOLLIN, [](std::uint32_t) {});
    loop.run_until([&] { return joined.has_value() || StopSignals::stop_requested(); });
  }
  if (!joined) {
    return;
  }
  chat::Connection& conn = *joined->conn;
  const std::string peer_name = shown_name(joined->established.peer_name);
  const std::string peer_fp = joined->established.peer_key.fingerprint();
  console.info("{} ({}) joined from {}", peer_name, peer_fp, conn.peer());
  // The words are for a person who can read them to the client's (issue 16): shown when one is
  // at the terminal, to a script only with -v.
  const std::string sas_line =
      chat::sas_notice(joined->established.peer_name, joined->established.sas);
  if (person_at_terminal()) {
    console.info("{}", sas_line);
  } else {
    console.debug("{}", sas_line);
  }
  chat::LocalEnd local(settings);
  const auto result =
      chat::StreamSession(loop, conn, std::move(joined->established), chat::Channel::Role::server,
                          local, console, stop_fd, end_timeout)
          .run();
  acceptor.stop();
  console.info("{} ({}) left", peer_name, peer_fp);
  console.debug("{} left because {}", peer_name, chat::describe(result.end));
}

void serve(const ServeOptions& opts, const Console& console) {
  ignore_sigpipe();
  const StopSignals stop;
  const auto identity = load_identity(opts.identity, console);
  // The RSA set-up runs beside the rest of the start-up instead of inside a handshake.
  std::jthread prepare_key([&identity] { identity.op_pool().warm_up(); });
  const std::string name = display_name(opts.identity);
  std::optional<trust::SharedAuthorizedKeys> allowed;
  if (!opts.authorized_keys.empty()) {
    allowed.emplace(trust::AuthorizedKeys::load(opts.authorized_keys));
  }
  // A room with an allow list reads it again on SIGHUP instead of stopping.
  std::optional<HangupSignal> hangup;
  if (allowed && !opts.once) {
    hangup.emplace();
  }
  // The usual soft limit of 1024 descriptors is too few for a full room.
  // The clients, the handshakes and the connections queued for one (as many as --max-clients).
  const std::size_t fds_needed = 2 * opts.max_clients + opts.max_handshakes + kSpareDescriptors;
  if (const std::size_t fds = raise_fd_limit(fds_needed); fds < fds_needed) {
    console.warn("only {} file descriptors are allowed: fewer clients than --max-clients may fit",
                 fds);
  }
  // Listening starts once the RSA set-up is done: the first client's handshake then neither
  // waits for it nor shares the CPU with it.
  prepare_key.join();
  auto listener = net::Listener::open(
      opts.bind.empty() ? std::nullopt : std::optional<std::string>(opts.bind), opts.port);
  listener.set_nonblocking(true);
  console.result("listening on {} as {} ({})", listener.local_name(), name, identity.fingerprint());
  if (allowed) {
    console.info("admitting only the {} keys in {}", allowed->size(), opts.authorized_keys);
  } else {
    console.info(
        "anyone who can reach this port may join; --authorized-keys FILE admits only "
        "the keys in FILE");
  }

  chat::StageLimits limits;
  limits.timeout = std::chrono::milliseconds(static_cast<long long>(opts.handshake_timeout * 1000));
  limits.hello_timeout =
      std::chrono::milliseconds(static_cast<long long>(opts.hello_timeout * 1000));
  limits.max_pending = opts.max_handshakes;
  limits.max_per_source = std::min(opts.max_per_source, opts.max_handshakes);
  limits.max_queued = opts.max_clients;
  chat::IdentityCheck check = [&allowed](const crypto::PublicKey& key) {
    if (allowed && !allowed->allows(key.fingerprint())) {
      throw AuthError(fmt::format("key {} is not authorized on this server", key.fingerprint()));
    }
  };
  chat::LocalSettings settings = standard_local_settings(identity, name, opts.no_color);
  apply_format(settings, opts.format, opts.once ? AutoFormat::raw : AutoFormat::lines);
  std::optional<ProgressMeter> progress;
  if (opts.progress) {
    settings.progress = &progress.emplace(standard_progress(settings));
  }
  net::EventLoop loop;
  if (opts.once) {
    serve_once(loop, limits, identity, name, std::move(check), listener, settings, stop.fd(),
               end_timeout_ms(opts.end_timeout), console);
  } else {
    chat::RoomServerSettings room;
    room.handshakes = limits;
    room.room.max_clients = opts.max_clients;
    room.room.keys_listed = allowed.has_value();
    room.room.show_sas = person_at_terminal();
    room.room.idle_timeout =
        std::chrono::milliseconds(static_cast<long long>(opts.idle_timeout * 1000));
    if (hangup) {
      room.reload = chat::AllowListReload{&*allowed, opts.authorized_keys, hangup->fd()};
    }
    // The operator's line (interactive) is made now: participants' lines go above it.
    chat::LocalEnd local(settings);
    chat::run_room_server(loop, identity, name, std::move(check), listener, local, room, console,
                          stop.fd());
  }
  if (progress) {
    progress->finish();
  }
}

}  // namespace

Command add_serve(CLI::App& app) {
  auto opts = std::make_shared<ServeOptions>();
  auto* cmd = app.add_subcommand("serve", "Wait for peers and talk to them, end-to-end encrypted");
  cmd->add_option("--port,-p", opts->port,
                  "TCP port to listen on (0: any free port, shown on the 'listening on' line)")
      ->capture_default_str()
      ->type_name("N")
      ->check(integer_in("--port", 0, 65535));
  // No short form: -b is keygen's --bits (as in ssh-keygen).
  cmd->add_option("--bind", opts->bind, "Address to listen on [default: all IPv4 and IPv6]")
      ->type_name("ADDR")
      ->check(kNonEmpty);
  cmd->add_flag("--once", opts->once,
                "Serve one client, one to one, then exit with its status (no room)");
  cmd->add_option("--authorized-keys", opts->authorized_keys,
                  "Admit only the keys in FILE (public key PEM blocks and SHA256: fingerprints); "
                  "a room reads it again on SIGHUP")
      ->type_name("FILE")
      ->check(kNonEmpty);
  add_seconds_option(*cmd, "--handshake-timeout", opts->handshake_timeout,
                     "Drop a connection that has not finished the handshake in this time "
                     "(or waited this long for a handshake slot)");
  add_seconds_option(*cmd, "--hello-timeout", opts->hello_timeout,
                     "Drop a connection whose CLIENT_HELLO has not come this long after the "
                     "server's hello");
  cmd->add_option("--max-handshakes", opts->max_handshakes,
                  "Connections in the handshake at once; more wait in a queue for a slot")
      ->capture_default_str()
      ->type_name("N")
      ->check(integer_in("--max-handshakes", 1, 100000));
  cmd->add_option("--max-handshakes-per-source", opts->max_per_source,
                  "Of those, from one IPv4 address or IPv6 /64 network")
      ->capture_default_str()
      ->type_name("N")
      ->check(integer_in("--max-handshakes-per-source", 1, 100000));
  cmd->add_option("--max-clients", opts->max_clients,
                  "Clients in the room at once; past it a newcomer is refused")
      ->capture_default_str()
      ->type_name("N")
      ->check(integer_in("--max-clients", 1, 100000));
  add_seconds_option(*cmd, "--idle-timeout", opts->idle_timeout,
                     "Drop a room client that has sent nothing for this long (0: never) "
                     "[default: never]",
                     true);
  add_end_timeout_option(*cmd, opts->end_timeout, " (with --once)");
  cmd->add_flag("--progress", opts->progress,
                "Show bytes sent and received, the rate and the time left on stderr");
  add_format_option(*cmd, opts->format,
                    "Standard output when it is not a terminal: raw bytes, or a log of the "
                    "room: lines (tab-separated) or json (auto: lines in a room, raw with "
                    "--once)");
  add_no_color_option(*cmd, opts->no_color);
  add_identity_options(*cmd, opts->identity);
  return when_parsed(cmd, opts, serve);
}

}  // namespace cryptochat::cli
