#include "cli/connect.hpp"

#include <fmt/format.h>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>

#include "chat/handshake_driver.hpp"
#include "chat/stream_session.hpp"
#include "cli/identity.hpp"
#include "cli/local_end.hpp"
#include "cli/non_empty.hpp"
#include "cli/subcommand.hpp"
#include "crypto/fingerprint.hpp"
#include "crypto/random.hpp"
#include "crypto/rsa_op_pool.hpp"
#include "net/address.hpp"
#include "net/event_loop.hpp"
#include "net/socket.hpp"
#include "trust/check.hpp"
#include "trust/known_hosts.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"
#include "util/text.hpp"
#include "wire/handshake_messages.hpp"

namespace cryptochat::cli {

namespace {

struct ConnectOptions {
  IdentityOptions identity;
  std::string address;
  std::string port;  // netcat's habit: HOST PORT as two words
  std::string peer_fingerprint;
  double connect_timeout = 10;
  double end_timeout = 30;  // 0: no limit
  bool progress = false;
  bool no_color = false;
};

void connect(const ConnectOptions& opts, const Console& console) {
  ignore_sigpipe();
  const auto target = opts.port.empty() ? net::parse_host_port(opts.address)
                                        : net::parse_host_and_port(opts.address, opts.port);
  // What known_hosts records the server under: as typed, or HOST:PORT made of the two words.
  const std::string address = opts.port.empty() ? opts.address : net::format_host_port(target);
  std::optional<std::string> pin;
  if (!opts.peer_fingerprint.empty()) {
    if (!crypto::looks_like_fingerprint(opts.peer_fingerprint)) {
      throw UsageError(
          fmt::format("--peer-fingerprint '{}' is not of the form SHA256:<43 base64 "
                      "characters>",
                      printable(opts.peer_fingerprint)));
    }
    pin = opts.peer_fingerprint;
  }
  const StopSignals stop;
  auto known_hosts = trust::KnownHosts::load(trust::default_known_hosts_path());
  // An unencrypted key is set up on another thread while the client hello goes out (it needs
  // only the public half); otherwise (a passphrase to ask for, a key to make) the key is ready
  // before the connection is made, and its decryption object is made while the server answers.
  std::optional<crypto::PrivateKey> early = start_loading_identity(opts.identity);
  const crypto::PrivateKey identity =
      early ? std::move(*early) : load_identity(opts.identity, console);
  std::jthread prepare_key;
  if (!early) {
    prepare_key = std::jthread([&identity] { identity.op_pool().prepare(); });
  }

  const auto timeout =
      std::chrono::milliseconds(static_cast<long long>(opts.connect_timeout * 1000));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto start = std::chrono::steady_clock::now();
  const auto ms_since_start = [start] {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
  };
  net::EventLoop loop;
  chat::Connection conn(net::connect_tcp(loop, target, timeout, console, stop.fd()));
  console.debug("handshake: hello sent at {:.1f} ms", ms_since_start());
  crypto::ClientHandshake handshake(identity, display_name(opts.identity), crypto::system_rng());
  // The address actually connected to is checked too (ssh's CheckHostIP).
  const std::string connected_to = conn.peer();
  std::optional<trust::HostVerdict> verdict;
  auto established = chat::run_client_handshake(
      loop, conn, handshake,
      [&](const crypto::PublicKey& key) {
        const std::string fp = key.fingerprint();
        console.debug("handshake: server key {} ({} bits) received at {:.1f} ms", fp, key.bits(),
                      ms_since_start());
        verdict = trust::verify_server(known_hosts, address, fp, pin, connected_to);
      },
      deadline, stop.fd());
  // Only now has the server proved it holds the key (key confirmation): a hello with a key
  // nobody holds leaves known_hosts as it was.
  if (!pin && trust::needs_recording(known_hosts, address, connected_to)) {
    const std::string fp = established.peer_key.fingerprint();
    const auto added = trust::record_server(known_hosts.path(), address, fp, connected_to);
    if (verdict == trust::HostVerdict::first_contact) {
      console.warn("first contact with {}: its key {} is now recorded in {}", address, fp,
                   known_hosts.path());
    } else if (!added.empty()) {
      console.warn("the key {} of {} is now also recorded for {} in {}", fp, address, added.back(),
                   known_hosts.path());
    }
  }
  console.debug(
      "handshake: done at {:.1f} ms; protocol version {}, cipher suite {} (X25519, "
      "RSA-OAEP-SHA-256, HKDF-SHA-256, AES-256-GCM)",
      ms_since_start(), wire::kVersion2, wire::kSuiteAes256Gcm);
  console.info("connected to {} ({}) at {}", shown_name(established.peer_name),
               established.peer_key.fingerprint(), conn.peer());
  chat::LocalSettings settings =
      standard_local_settings(identity, display_name(opts.identity), opts.no_color);
  std::optional<ProgressMeter> progress;
  if (opts.progress) {
    settings.progress = &progress.emplace(standard_progress(settings));
  }
  chat::LocalEnd local(settings);
  // The server may be a room: it may relay others and say who comes and goes.
  chat::StreamSession(loop, conn, std::move(established), chat::Channel::Role::client, local,
                      console, stop.fd(), end_timeout_ms(opts.end_timeout))
      .run();
  if (progress) {
    progress->finish();
  }
}

}  // namespace

Command add_connect(CLI::App& app) {
  auto opts = std::make_shared<ConnectOptions>();
  auto* cmd = app.add_subcommand("connect", "Talk to a cryptochat server, end-to-end encrypted");
  cmd->add_option("address", opts->address,
                  "HOST:PORT, or HOST then PORT; HOST is a name, an IPv4 address or an IPv6 "
                  "address ([::1]:5000, ::1 5000)")
      ->required()
      ->type_name("HOST:PORT")
      ->check(kNonEmpty);
  cmd->add_option("port", opts->port, "The port, when HOST:PORT was given as HOST only")
      ->type_name("PORT");
  cmd->add_option("--peer-fingerprint", opts->peer_fingerprint,
                  "Accept only the server key with this fingerprint (known_hosts is not used)")
      ->type_name("SHA256:...")
      ->check(kNonEmpty);
  add_seconds_option(*cmd, "--connect-timeout", opts->connect_timeout,
                     "Give up when connecting and the handshake take longer than this");
  add_end_timeout_option(*cmd, opts->end_timeout);
  cmd->add_flag("--progress", opts->progress,
                "Show bytes sent and received, the rate and the time left on stderr");
  add_no_color_option(*cmd, opts->no_color);
  add_identity_options(*cmd, opts->identity);
  return when_parsed(cmd, opts, connect);
}

}  // namespace cryptochat::cli
