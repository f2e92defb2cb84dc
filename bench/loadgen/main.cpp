// cryptochat-loadgen: N clients of a cryptochat room (or of `ncat --chat`, with --plain) in one
// process. It connects them all, makes sure every one is in the room, optionally holds them idle
// (so that a script can sample the server's memory), then times R broadcasts from client 0 to
// all the others, and closes every session properly. See bench/README.md, "Room bench".
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "crypto/fingerprint.hpp"
#include "crypto/key_file.hpp"
#include "fleet.hpp"
#include "net/address.hpp"
#include "probe.hpp"
#include "stats.hpp"
#include "util/error.hpp"
#include "util/fd_limit.hpp"
#include "util/signals.hpp"

namespace cryptochat::loadgen {

namespace {

struct Options {
  std::string connect;
  std::size_t clients = 100;
  std::string key_path;
  std::string peer_fingerprint;
  std::size_t concurrency = 32;
  int rounds = 5;
  double interval = 0.2;
  double timeout = 120;
  double hold = 0;
  bool plain = false;
  bool json = false;
};

// Until every client has seen it, client 0 repeats a sync line this often: a client whose
// handshake is done may not be in the room yet (the server still checks its FINISHED), and a
// line sent before it joins never reaches it.
constexpr auto kSyncEvery = std::chrono::milliseconds(100);
// How long one broadcast may take to reach everyone before its round counts as incomplete.
constexpr auto kRoundWait = std::chrono::seconds(10);
// The close handshake gets at least this long, even when the rounds used up --timeout.
constexpr auto kCloseGrace = std::chrono::seconds(5);
// Distinct failure reasons reported.
constexpr std::size_t kReasonsShown = 3;
// Descriptors besides the clients' (stdio, epoll, the key file, the RNG).
constexpr std::size_t kSpareFds = 64;

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// Idles the loop (it still reads whatever arrives) until `until`.
void idle(Fleet& fleet, Clock::time_point until) {
  fleet.run_until([] { return false; }, until);
}

// True when every client but the sender (0) that is still in the room has the line: a client
// the server dropped never will, and waiting longer for it would only reach the deadline.
bool settled(Fleet& fleet, const Probe& probe) {
  if (probe.complete()) {
    return true;
  }
  for (std::size_t i = 1; i < fleet.size(); ++i) {
    if (!probe.has_seen(i) && fleet[i].phase() == Phase::established) {
      return false;
    }
  }
  return true;
}

// True once every other client has seen a line from client 0, i.e. everyone is in the room.
bool wait_for_room(Fleet& fleet, Probe& probe, Clock::time_point deadline) {
  const std::string token = fmt::format("sync {}", make_nonce());
  probe.expect(token, 0);
  while (fleet[0].phase() == Phase::established && Clock::now() < deadline) {
    fleet[0].send_line(token + "\n");
    fleet.refresh(0);
    if (fleet.run_until([&] { return settled(fleet, probe); },
                        std::min(Clock::now() + kSyncEvery, deadline))) {
      break;
    }
  }
  return probe.complete();
}

RoundResult broadcast(Fleet& fleet, Probe& probe, int number, Clock::time_point deadline) {
  const std::string token = fmt::format("ping {} {}", number, make_nonce());
  probe.expect(token, 0);
  const auto sent = Clock::now();
  fleet[0].send_line(token + "\n");
  fleet.refresh(0);
  if (fleet[0].phase() == Phase::established) {
    fleet.run_until([&] { return settled(fleet, probe); }, std::min(sent + kRoundWait, deadline));
  }
  return RoundResult{number, probe.expected(), probe.seen(), spread_of(probe.latencies_ms(sent))};
}

void say(const Options& opts, const std::string& line) {
  if (!opts.json) {
    fmt::print("{}\n", line);
  }
}

Report measure(const Options& opts) {
  ignore_sigpipe();
  const auto target = net::parse_host_port(opts.connect);
  if (const std::size_t needed = opts.clients + kSpareFds; raise_fd_limit(needed) < needed) {
    throw Error(ExitCode::failure,
                fmt::format("cannot raise the open-file limit to {}; try ulimit -n {} or fewer "
                            "--clients",
                            needed, needed));
  }
  std::optional<crypto::PrivateKey> identity;
  if (!opts.plain) {
    // Unencrypted keys only: a load generator has nobody to ask for a passphrase.
    identity = crypto::load_private_key_file(
        opts.key_path, [](const std::string&) -> std::optional<Secret> { return std::nullopt; });
  }
  Probe probe(opts.clients);
  ClientSetup setup;
  setup.identity = identity ? &*identity : nullptr;
  setup.sink = &probe;
  setup.check_server = [pin = opts.peer_fingerprint](const crypto::PublicKey& key) {
    if (!pin.empty() && key.fingerprint() != pin) {
      throw AuthError(fmt::format("the server's key {} is not the one pinned", key.fingerprint()));
    }
  };
  Fleet fleet(opts.clients, setup, resolve(target));

  Report report;
  report.mode = opts.plain ? "plain" : "cryptochat";
  report.target = net::format_host_port(target);
  report.clients = opts.clients;
  report.concurrency = opts.concurrency;
  const auto start = Clock::now();
  const auto deadline = start + seconds(opts.timeout + opts.hold);

  fleet.establish_all(opts.concurrency, deadline);
  report.established = fleet.count(Phase::established);
  report.establish_s = seconds_between(start, Clock::now());
  bool in_room = false;
  if (report.established != opts.clients) {
    report.problems.push_back(
        fmt::format("{} of {} clients established", report.established, opts.clients));
  } else if (!wait_for_room(fleet, probe, deadline)) {
    report.problems.push_back(fmt::format(
        "only {} of {} clients saw client 0's line: not everyone got into the room in time",
        probe.seen(), probe.expected()));
  } else {
    in_room = true;
    report.ready_s = seconds_between(start, Clock::now());
    // A script waits for this line to sample the server with every client idle in the room.
    std::fputs(fmt::format("established {}\n", opts.clients).c_str(), opts.json ? stderr : stdout);
    std::fflush(opts.json ? stderr : stdout);
    say(opts, fmt::format("{} clients established in {:.3f} s, all in the room after {:.3f} s",
                          opts.clients, report.establish_s, *report.ready_s));
  }

  if (in_room) {
    idle(fleet, std::min(Clock::now() + seconds(opts.hold), deadline));
    for (int r = 1; r <= opts.rounds && Clock::now() < deadline; ++r) {
      if (r > 1) {
        idle(fleet, std::min(Clock::now() + seconds(opts.interval), deadline));
      }
      report.rounds.push_back(broadcast(fleet, probe, r, deadline));
      say(opts, round_line(report.rounds.back()));
    }
    for (const auto& round : report.rounds) {
      if (round.received != round.expected) {
        report.problems.push_back(fmt::format("round {} reached {} of {} clients", round.number,
                                              round.received, round.expected));
      }
    }
    if (static_cast<int>(report.rounds.size()) < opts.rounds) {
      report.problems.push_back(fmt::format("only {} of {} rounds ran before the time limit",
                                            report.rounds.size(), opts.rounds));
    }
  }

  fleet.close_all(std::max(deadline, Clock::now() + kCloseGrace));
  for (std::size_t i = 0; i < fleet.size(); ++i) {
    if (fleet[i].phase() == Phase::closed && fleet[i].error().empty()) {
      ++report.closed;
    }
  }
  if (report.established == opts.clients && report.closed != opts.clients) {
    report.problems.push_back(
        fmt::format("{} of {} sessions closed cleanly", report.closed, opts.clients));
  }
  // The distinct reasons clients failed for, a few of them: the summary stays one line.
  const auto failures = fleet.failures();
  for (std::size_t i = 0; i < failures.size() && i < kReasonsShown; ++i) {
    report.problems.push_back(failures[i]);
  }
  if (failures.size() > kReasonsShown) {
    report.problems.push_back(
        fmt::format("{} more distinct failure reasons", failures.size() - kReasonsShown));
  }
  if (const auto s = summarize(report.rounds)) {
    say(opts, fmt::format("broadcast latency: p50 {:.2f} ms (median of rounds), p99 {:.2f} ms, "
                          "max {:.2f} ms (worst round)",
                          s->p50_median, s->p99_worst, s->max_worst));
  }
  say(opts, fmt::format("closed {}/{} {}", report.closed, opts.clients,
                        opts.plain ? "(plain: socket closed)" : "with END/END_ACK both ways"));
  return report;
}

void add_options(CLI::App& app, Options& o) {
  app.add_option("--connect", o.connect, "The server")->required()->type_name("HOST:PORT");
  app.add_option("--clients", o.clients, "Client sessions to open")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  auto* key = app.add_option("--key", o.key_path, "Unencrypted private key all clients use")
                  ->type_name("PATH")
                  ->check(CLI::ExistingFile);
  auto* pin = app.add_option("--peer-fingerprint", o.peer_fingerprint,
                             "Refuse a server key with another fingerprint")
                  ->type_name("SHA256:...")
                  ->check(
                      [](const std::string& fp) -> std::string {
                        return crypto::looks_like_fingerprint(fp)
                                   ? ""
                                   : "not of the form SHA256:<43 base64 characters>";
                      },
                      "FINGERPRINT");
  app.add_option("--concurrency", o.concurrency, "Connects and handshakes in flight at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_option("--rounds", o.rounds, "Broadcasts from client 0 to time")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  app.add_option("--interval", o.interval, "Seconds between rounds")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--timeout", o.timeout,
                 "Overall time limit in seconds, --hold not counted (closing always gets 5 s)")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 86400.0));
  app.add_option("--hold", o.hold, "Seconds to stay idle once everyone is in, before the rounds")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0));
  app.add_flag("--plain", o.plain, "Plain TCP lines, for comparing with ncat --chat")
      ->excludes(key)
      ->excludes(pin);
  app.add_flag("--json", o.json, "Print one JSON object on stdout instead of text");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cryptochat-loadgen: many clients of one cryptochat room, in one process",
               "cryptochat-loadgen"};
  Options opts;
  add_options(app, opts);
  try {
    app.parse(argc, argv);
    if (!opts.plain && opts.key_path.empty()) {
      throw CLI::ValidationError("--key", "is required unless --plain is given");
    }
  } catch (const CLI::ParseError& e) {
    const int status = app.exit(e);
    return status == 0 ? 0 : 2;
  }
  try {
    const Report report = measure(opts);
    if (opts.json) {
      fmt::print("{}\n", to_json(report));
    }
    std::fflush(stdout);
    if (!report.ok()) {
      std::string why;
      for (const auto& p : report.problems) {
        why += (why.empty() ? "" : "; ") + p;
      }
      fmt::print(stderr, "cryptochat-loadgen: FAILED: {}\n", why);
      return 1;
    }
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "cryptochat-loadgen: error: {}\n", e.what());
    return 1;
  }
}

}  // namespace cryptochat::loadgen

int main(int argc, char** argv) {
  return cryptochat::loadgen::main(argc, argv);
}
