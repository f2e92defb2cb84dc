#include "cli/connect.hpp"

#include <fmt/format.h>
#include <chrono>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "chat/channel.hpp"
#include "chat/handshake_driver.hpp"
#include "chat/stream_session.hpp"
#include "chat/verify.hpp"
#include "cli/first_contact.hpp"
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
  std::string format = "auto";
  bool progress = false;
  bool no_color = false;
  bool strict = false;            // refuse a server known_hosts does not have
  bool hash_known_hosts = false;  // write new known_hosts lines hashed
};

// After the handshake, before the session: the user refused the server's key, or it could not
// be recorded. The server is told as after any error of a session, with an ABORT (PROTOCOL.md
// section 6) saying `reason`, and gets up to 2 s to read it and close. Best effort: the local
// error is what is reported.
void refuse_established(net::EventLoop& loop, chat::Connection& conn,
                        crypto::Established established, std::string_view reason) {
  try {
    chat::Channel channel(std::move(established), {chat::Channel::Role::client, false});
    channel.abort(reason, conn.outbox());
    conn.start_closing();
    const auto deadline = net::Clock::now() + std::chrono::seconds(2);
    bool closed = conn.close_some();
    auto socket = loop.watch(conn.fd(), conn.wanted_events(),
                             [&](std::uint32_t) { closed = conn.close_some(); });
    const auto timer = loop.every_turn([&]() -> std::optional<net::Clock::time_point> {
      socket.set_events(conn.wanted_events());
      return deadline;
    });
    loop.run_until([&] { return closed || net::Clock::now() >= deadline; });
  } catch (const std::exception&) {
    // The server may be gone already.
  }
}

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
  // With a pin, known_hosts is neither read nor written.
  auto known_hosts = pin ? trust::KnownHosts(trust::default_known_hosts_path())
                         : trust::KnownHosts::load(trust::default_known_hosts_path());
  for (const std::string& warning : known_hosts.malformed_warnings()) {
    console.warn("{}", warning);
  }
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
        verdict = trust::verify_server(known_hosts, address, fp, pin, connected_to, opts.strict);
      },
      deadline, stop.fd());
  // Only now has the server proved it holds the key (key confirmation): a hello with a key
  // nobody holds leaves known_hosts as it was.
  // Whether the SAS words were shown already (the first-contact question or notice).
  bool sas_shown = false;
  if (!pin && trust::needs_recording(known_hosts, address, connected_to)) {
    const std::string fp = established.peer_key.fingerprint();
    if (verdict == trust::HostVerdict::first_contact && person_at_terminal()) {
      // Asked before anything is recorded and before the chat starts: no data of ours has
      // been sent yet.
      FirstContactAnswer answer = FirstContactAnswer::no_answer;
      try {
        // The words come with the question: read by voice, they check the key as the
        // fingerprint does (PROTOCOL.md section 7).
        std::vector<std::string> lines = first_contact_lines(address, connected_to, fp);
        lines.push_back(chat::sas_notice(established.peer_name, established.sas));
        answer = ask_first_contact(lines, fp, stop.fd());
        sas_shown = true;
      } catch (const std::exception& e) {
        refuse_established(loop, conn, std::move(established), chat::abort_text(e));
        throw;
      }
      if (!accepted(answer)) {
        // The text a client that distrusts a key sends (PROTOCOL.md section 7).
        refuse_established(loop, conn, std::move(established), chat::kClientDistrustText);
        throw AuthError(
            fmt::format("the key {} of {} was not accepted ({}); nothing was "
                        "recorded in {}",
                        fp, address, describe_refusal(answer), known_hosts.path()));
      }
    }
    std::vector<std::string> added;
    try {
      added = trust::record_server(known_hosts.path(), address, fp, connected_to,
                                   opts.hash_known_hosts);
    } catch (const std::exception& e) {
      // A file that cannot be written (or a key another client recorded meanwhile): the
      // session does not start, and the server is told so.
      refuse_established(loop, conn, std::move(established),
                         dynamic_cast<const AuthError*>(&e) != nullptr ? chat::kClientDistrustText
                                                                       : chat::abort_text(e));
      throw;
    }
    if (verdict == trust::HostVerdict::first_contact) {
      if (sas_shown) {
        console.warn("first contact with {}: its key {} is now recorded in {}", address, fp,
                     known_hosts.path());
      } else {
        // Nobody was asked: the words go with the notice (one line, which -q keeps), for
        // whoever reads it to compare them with the server's (issue 16).
        console.warn("first contact with {}: its key {} is now recorded in {}; {}", address, fp,
                     known_hosts.path(), chat::sas_notice(established.peer_name, established.sas));
        sas_shown = true;
      }
    } else if (!added.empty()) {
      console.warn("the key {} of {} is now also recorded for {} in {}", fp, address, added.back(),
                   known_hosts.path());
    }
  }
  console.debug(
      "handshake: done at {:.1f} ms; protocol version {}, cipher suite {} (X25519, "
      "RSA-OAEP-SHA-256, HKDF-SHA-256, AES-256-GCM)",
      ms_since_start(), wire::kVersion3, wire::kSuiteAes256Gcm);
  console.info("connected to {} ({}) at {}", shown_name(established.peer_name),
               established.peer_key.fingerprint(), conn.peer());
  if (!sas_shown) {
    // A known server: the words stay at hand for /verify; -v shows them too.
    console.debug("{}", chat::sas_notice(established.peer_name, established.sas));
  }
  chat::LocalSettings settings =
      standard_local_settings(identity, display_name(opts.identity), opts.no_color);
  apply_format(settings, opts.format, AutoFormat::raw_until_room);
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
  cmd->add_flag("--strict", opts->strict,
                "Refuse a server whose key known_hosts does not have, instead of a first contact "
                "(exit 3, before the client hello is sent)");
  cmd->add_flag("--hash-known-hosts", opts->hash_known_hosts,
                "Write new known_hosts lines with the address hashed (|1|SALT|HASH, as ssh's "
                "HashKnownHosts), so the file does not list the servers");
  add_format_option(*cmd, opts->format,
                    "Standard output when it is not a terminal: raw bytes, or a log of a room: "
                    "lines (tab-separated) or json (auto: raw until the server turns out to be "
                    "a room, then lines)");
  add_no_color_option(*cmd, opts->no_color);
  add_identity_options(*cmd, opts->identity);
  return when_parsed(cmd, opts, connect);
}

}  // namespace cryptochat::cli
