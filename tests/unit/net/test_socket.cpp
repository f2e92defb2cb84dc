#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/event_loop.hpp"
#include "net/listener.hpp"
#include "net/net_error.hpp"
#include "net/socket.hpp"
#include "util/error.hpp"
#include "util/unique_fd.hpp"

using namespace cryptochat;
using namespace cryptochat::net;
using namespace std::chrono_literals;

namespace {

// Some build machines have no IPv6 at all; the IPv6 checks are skipped there.
bool has_ipv6_loopback() {
  const UniqueFd fd(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) {
    return false;
  }
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  return ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
}

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

void write_all(Socket& socket, std::string_view text) {
  auto data = as_bytes(text);
  while (!data.empty()) {
    const ssize_t n = socket.write_some(data);
    REQUIRE(n > 0);
    data = data.subspan(static_cast<std::size_t>(n));
  }
}

std::string read_exactly(Socket& socket, std::size_t size) {
  std::vector<std::uint8_t> buf(size);
  std::size_t used = 0;
  while (used < size) {
    const ssize_t n = socket.read_some(std::span(buf).subspan(used));
    REQUIRE(n > 0);
    used += static_cast<std::size_t>(n);
  }
  return {buf.begin(), buf.end()};
}

// A raw listener that never accepts, with an accept queue of one: once it is full the kernel
// drops further SYNs, so a connect to it hangs until the connector gives up.
struct FullListener {
  UniqueFd fd{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  HostPort target;
  FullListener() {
    REQUIRE(fd);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd.get(), 0) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    target = HostPort{"127.0.0.1", ntohs(addr.sin_port)};
  }
};

struct Connection {
  Socket client;
  Socket server;
};

Connection connect_to(Listener& listener, const std::string& host) {
  EventLoop loop;
  Socket client = connect_tcp(loop, {host, listener.port()}, 2s);
  std::optional<Socket> server = listener.accept();
  REQUIRE(server.has_value());
  return {std::move(client), std::move(*server)};
}

void check_round_trip(Connection& c) {
  write_all(c.client, "hello");
  CHECK(read_exactly(c.server, 5) == "hello");
  write_all(c.server, std::string(100000, 'x'));
  CHECK(read_exactly(c.client, 100000) == std::string(100000, 'x'));
  c.client.shutdown_write();
  std::uint8_t byte = 0;
  CHECK(c.server.read_some(std::span(&byte, 1)) == 0);
  // The other direction still works after one side has ended its stream.
  write_all(c.server, "bye");
  CHECK(read_exactly(c.client, 3) == "bye");
}

int int_option(int fd, int level, int name) {
  int value = -1;
  socklen_t len = sizeof value;
  REQUIRE(::getsockopt(fd, level, name, &value, &len) == 0);
  return value;
}

}  // namespace

TEST_CASE("a Listener on 127.0.0.1 port 0 carries bytes both ways") {
  Listener listener = Listener::open("127.0.0.1", 0);
  REQUIRE(listener.port() != 0);
  const std::string local = "127.0.0.1:" + std::to_string(listener.port());
  CHECK(listener.local_name() == local);
  CHECK((::fcntl(listener.fd(), F_GETFD) & FD_CLOEXEC) != 0);
  CHECK(int_option(listener.fd(), SOL_SOCKET, SO_REUSEADDR) != 0);

  Connection c = connect_to(listener, "127.0.0.1");
  CHECK(c.client.peer_name() == local);
  CHECK(c.server.peer_name().starts_with("127.0.0.1:"));
  // connect_tcp hands back a blocking socket with Nagle left on.
  CHECK((::fcntl(c.client.fd(), F_GETFL) & O_NONBLOCK) == 0);
  CHECK(int_option(c.client.fd(), IPPROTO_TCP, TCP_NODELAY) == 0);
  CHECK((::fcntl(c.client.fd(), F_GETFD) & FD_CLOEXEC) != 0);
  CHECK((::fcntl(c.server.fd(), F_GETFD) & FD_CLOEXEC) != 0);
  check_round_trip(c);
}

TEST_CASE("connected and accepted sockets have TCP keepalive on") {
  Listener listener = Listener::open("127.0.0.1", 0);
  Connection c = connect_to(listener, "127.0.0.1");
  for (const Socket* socket : {&c.client, &c.server}) {
    CHECK(int_option(socket->fd(), SOL_SOCKET, SO_KEEPALIVE) == 1);
    CHECK(int_option(socket->fd(), IPPROTO_TCP, TCP_KEEPIDLE) == kKeepaliveIdleSeconds);
    CHECK(int_option(socket->fd(), IPPROTO_TCP, TCP_KEEPINTVL) == kKeepaliveIntervalSeconds);
    CHECK(int_option(socket->fd(), IPPROTO_TCP, TCP_KEEPCNT) == kKeepaliveProbes);
  }
  // A dead peer is given up on in about two minutes, not the kernel's two hours and more.
  const int detect = kKeepaliveIdleSeconds + kKeepaliveIntervalSeconds * kKeepaliveProbes;
  CHECK(detect >= 60);
  CHECK(detect <= 180);
}

TEST_CASE("the default Listener takes IPv4 and IPv6 connections") {
  Listener listener = Listener::open(std::nullopt, 0);
  REQUIRE(listener.port() != 0);

  Connection v4 = connect_to(listener, "127.0.0.1");
  // IPv4 peers of the dual-stack socket are shown as IPv4, not as ::ffff:127.0.0.1.
  CHECK(v4.server.peer_name().starts_with("127.0.0.1:"));
  // Per-source limits see the IPv4 address, not the IPv4-mapped IPv6 one.
  CHECK(v4.server.peer_source() == "127.0.0.1/32");
  check_round_trip(v4);

  if (!has_ipv6_loopback()) {
    MESSAGE("no IPv6 loopback: [::1] not checked");
    return;
  }
  CHECK(listener.local_name() == "[::]:" + std::to_string(listener.port()));
  Connection v6 = connect_to(listener, "::1");
  CHECK(v6.client.peer_name() == "[::1]:" + std::to_string(listener.port()));
  CHECK(v6.server.peer_name().starts_with("[::1]:"));
  // An IPv6 source is its /64: ::1 is in ::/64.
  CHECK(v6.server.peer_source() == "::/64");
  check_round_trip(v6);
}

TEST_CASE("peer_source is the peer's IPv4 address or IPv6 /64, or unknown") {
  Listener listener = Listener::open("127.0.0.1", 0);
  // A connection from another loopback address (all of 127.0.0.0/8 is local).
  const UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  from.sin_addr.s_addr = htonl(0x7f000002);
  REQUIRE(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&from), sizeof from) == 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(listener.port());
  REQUIRE(::connect(fd.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0);
  auto accepted = listener.accept();
  REQUIRE(accepted);
  CHECK(accepted->peer_source() == "127.0.0.2/32");
  // A socket that is not connected has no peer.
  const Socket unconnected(UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)));
  CHECK(unconnected.peer_source() == "unknown");
}

TEST_CASE("a Listener binds IPv6 literals with or without brackets") {
  if (!has_ipv6_loopback()) {
    MESSAGE("no IPv6 loopback: skipped");
    return;
  }
  for (const char* bind : {"::1", "[::1]"}) {
    CAPTURE(bind);
    Listener listener = Listener::open(bind, 0);
    CHECK(listener.local_name() == "[::1]:" + std::to_string(listener.port()));
    Connection c = connect_to(listener, "::1");
    check_round_trip(c);
  }
}

TEST_CASE("a second Listener on the same port fails with Address already in use") {
  const Listener first = Listener::open("127.0.0.1", 0);
  const std::string message =
      "cannot listen on port " + std::to_string(first.port()) + ": Address already in use";
  CHECK_THROWS_WITH_AS(Listener::open("127.0.0.1", first.port()), message.c_str(), NetError);
  CHECK_THROWS_WITH_AS(Listener::open(std::nullopt, first.port()), message.c_str(), NetError);

  const Listener any = Listener::open(std::nullopt, 0);
  const std::string any_message =
      "cannot listen on port " + std::to_string(any.port()) + ": Address already in use";
  CHECK_THROWS_WITH_AS(Listener::open(std::nullopt, any.port()), any_message.c_str(), NetError);
  CHECK_THROWS_WITH_AS(Listener::open("127.0.0.1", any.port()), any_message.c_str(), NetError);
}

TEST_CASE("a Listener refuses bind addresses it cannot use") {
  // 192.0.2.0/24 is reserved for documentation, so it is never a local address.
  CHECK_THROWS_WITH_AS(Listener::open("192.0.2.1", 0),
                       "cannot bind to '192.0.2.1': Cannot assign requested address", NetError);
  CHECK_THROWS_WITH_AS(Listener::open("no-such-host.invalid", 0),
                       doctest::Contains("cannot bind to 'no-such-host.invalid': "), NetError);
  CHECK_THROWS_WITH_AS(Listener::open("", 0), "cannot bind to '': not an address or host name",
                       NetError);
  CHECK_THROWS_WITH_AS(Listener::open("[]", 0), doctest::Contains("cannot bind to '[]'"), NetError);
  CHECK_THROWS_WITH_AS(Listener::open(std::string("127.0.0.1\0x", 11), 0),
                       doctest::Contains("cannot bind to '127.0.0.1\\x00x'"), NetError);
}

TEST_CASE("connect_tcp to a closed port fails fast with refused") {
  EventLoop loop;
  std::uint16_t port = 0;
  {
    const Listener listener = Listener::open("127.0.0.1", 0);
    port = listener.port();
  }
  const auto start = std::chrono::steady_clock::now();
  const std::string message =
      "cannot connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused";
  CHECK_THROWS_WITH_AS(connect_tcp(loop, {"127.0.0.1", port}, 10s), message.c_str(), NetError);
  CHECK(std::chrono::steady_clock::now() - start < 1s);
}

TEST_CASE("connect_tcp to an unresolvable host says so") {
  EventLoop loop;
  CHECK_THROWS_WITH_AS(connect_tcp(loop, {"no-such-host.invalid", 1}, 2s),
                       doctest::Contains("cannot resolve 'no-such-host.invalid': "), NetError);
}

TEST_CASE("connect_tcp gives up after its timeout") {
  EventLoop loop;
  const FullListener full;
  const HostPort target = full.target;

  std::vector<Socket> queued;
  const auto start = std::chrono::steady_clock::now();
  try {
    // The first one or two fill the queue; a later one must time out.
    for (int i = 0; i < 8; ++i) {
      queued.push_back(connect_tcp(loop, target, 200ms));
    }
    FAIL("every connection was taken");
  } catch (const NetError& e) {
    CHECK(std::string(e.what()) ==
          "cannot connect to " + format_host_port(target) + ": timed out after 0.2 s");
  }
  CHECK(std::chrono::steady_clock::now() - start < 2s);
}

TEST_CASE("a stop signal's descriptor ends a connect that hangs") {
  EventLoop loop;
  const FullListener full;
  const HostPort target = full.target;
  int stop[2] = {-1, -1};
  REQUIRE(::pipe2(stop, O_CLOEXEC | O_NONBLOCK) == 0);
  const UniqueFd stop_read(stop[0]);
  const UniqueFd stop_write(stop[1]);
  std::vector<Socket> queued;
  // Fill the queue first, without the stop: these connect (or the queue is already full).
  try {
    for (int i = 0; i < 4; ++i) {
      queued.push_back(connect_tcp(loop, target, 200ms));
    }
  } catch (const NetError&) {
    // full: the next one hangs
  }
  REQUIRE(::write(stop_write.get(), "x", 1) == 1);
  const auto start = std::chrono::steady_clock::now();
  // No signal came (the byte was written by hand): the error names SIGINT, exit status 130.
  try {
    static_cast<void>(connect_tcp(loop, target, 10s, Console(Verbosity::quiet), stop_read.get()));
    FAIL("the connect was not interrupted");
  } catch (const Interrupted& e) {
    CHECK(std::string(e.what()) == "interrupted by SIGINT while connecting");
    CHECK(static_cast<int>(e.code()) == 130);
  }
  CHECK(std::chrono::steady_clock::now() - start < 2s);
}

TEST_CASE("nonblocking sockets and listeners report would-block instead of waiting") {
  EventLoop loop;
  Listener listener = Listener::open("127.0.0.1", 0);
  listener.set_nonblocking(true);
  CHECK_FALSE(listener.accept().has_value());

  Socket client = connect_tcp(loop, {"127.0.0.1", listener.port()}, 2s);
  std::optional<Socket> server;
  for (int i = 0; i < 100 && !server; ++i) {
    server = listener.accept();
  }
  REQUIRE(server.has_value());
  // Accepted sockets start blocking whatever the listener's mode.
  CHECK((::fcntl(server->fd(), F_GETFL) & O_NONBLOCK) == 0);

  client.set_nonblocking(true);
  std::uint8_t byte = 0;
  errno = 0;
  CHECK(client.read_some(std::span(&byte, 1)) == -1);
  CHECK(errno == EAGAIN);

  // Nobody reads the server side, so the buffers fill and writing would block.
  const std::vector<std::uint8_t> chunk(1 << 16);
  ssize_t n = 0;
  for (int i = 0; i < 4096 && n >= 0; ++i) {
    n = client.write_some(chunk);
  }
  CHECK(n == -1);
  CHECK(errno == EAGAIN);
}

TEST_CASE("a reset ends the stream on read, as a FIN does, and is a NetError on write") {
  Listener listener = Listener::open("127.0.0.1", 0);
  Connection c = connect_to(listener, "127.0.0.1");
  // Linger with a zero timeout makes close() send RST instead of FIN.
  const linger abort{.l_onoff = 1, .l_linger = 0};
  REQUIRE(::setsockopt(c.server.fd(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort) == 0);
  { const Socket dropped = std::move(c.server); }

  // Whether the end came too early is the protocol's to say (PROTOCOL.md section 6: truncation).
  std::uint8_t byte = 0;
  CHECK(c.client.read_some(std::span(&byte, 1)) == 0);
  CHECK_THROWS_WITH_AS(write_all(c.client, "x"), doctest::Contains("connection lost: "), NetError);
}

TEST_CASE("set_nodelay switches Nagle on TCP and is ignored on a socketpair") {
  Listener listener = Listener::open("127.0.0.1", 0);
  Connection c = connect_to(listener, "127.0.0.1");
  c.client.set_nodelay(true);
  CHECK(int_option(c.client.fd(), IPPROTO_TCP, TCP_NODELAY) != 0);
  c.client.set_nodelay(false);
  CHECK(int_option(c.client.fd(), IPPROTO_TCP, TCP_NODELAY) == 0);

  std::array<int, 2> fds{};
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.data()) == 0);
  Socket a{UniqueFd(fds[0])};
  Socket b{UniqueFd(fds[1])};
  CHECK_NOTHROW(a.set_nodelay(true));
  CHECK(a.peer_name() == "local socket");
  Connection pair{std::move(a), std::move(b)};
  check_round_trip(pair);
}
