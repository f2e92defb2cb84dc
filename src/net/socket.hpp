// TCP over POSIX sockets: a connected Socket and connect_tcp() (the Listener that accepts them
// is in listener.hpp).
// Every descriptor is close-on-exec and owned by exactly one object. Failures throw NetError,
// except would-block, which nonblocking callers (the event loop) expect and get as a return value.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "net/address.hpp"
#include "net/event_loop.hpp"
#include "util/console.hpp"
#include "util/unique_fd.hpp"

namespace cryptochat::net {

// TCP keepalive on every session socket (set by connect_tcp and Listener::accept): a peer that
// vanished without a FIN or reset (a machine switched off, a link gone) is found after
// kKeepaliveIdleSeconds of silence and kKeepaliveProbes unanswered probes kKeepaliveInterval
// apart, about 2 minutes, and its connection fails instead of holding a session or a room slot.
inline constexpr int kKeepaliveIdleSeconds = 60;
inline constexpr int kKeepaliveIntervalSeconds = 10;
inline constexpr int kKeepaliveProbes = 6;

class Socket {
 public:
  // Takes ownership of a connected stream socket (tests also pass one end of a socketpair).
  explicit Socket(UniqueFd fd) noexcept : fd_(std::move(fd)) {}
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  Socket(Socket&&) noexcept = default;
  Socket& operator=(Socket&&) noexcept = default;
  ~Socket() = default;

  [[nodiscard]] int fd() const noexcept { return fd_.get(); }

  // Bytes read (0: the peer closed its side, or reset the connection: both end the stream),
  // or -1 with errno EAGAIN when a nonblocking socket has nothing yet. `buf` must not be empty.
  // EINTR is retried. Throws NetError "connection lost: ..." on any other error.
  ssize_t read_some(std::span<std::uint8_t> buf);

  // Bytes written (possibly fewer than asked), or -1 with errno EAGAIN when a nonblocking
  // socket's buffer is full. Never raises SIGPIPE: a closed peer is a NetError like any other
  // lost connection.
  ssize_t write_some(std::span<const std::uint8_t> data);

  // Sends end-of-stream; reading stays possible.
  void shutdown_write();

  void set_nonblocking(bool on);
  // TCP_NODELAY; does nothing on sockets that are not TCP.
  void set_nodelay(bool on);
  // SO_KEEPALIVE with the kKeepalive* timings above (TCP sockets only).
  void set_keepalive();

  // The peer as "127.0.0.1:5000" or "[::1]:5000" (IPv4 peers of a dual-stack listener are
  // shown as IPv4); "unknown peer" if it cannot be read.
  [[nodiscard]] std::string peer_name() const;
  // The peer's network for per-source limits: its IPv4 address as "127.0.0.1/32" (IPv4-mapped
  // IPv6 addresses count as IPv4), the first 64 bits of an IPv6 address as "2001:db8:0:1::/64";
  // "unknown" if it cannot be read.
  [[nodiscard]] std::string peer_source() const;

 private:
  UniqueFd fd_;
};

// Connects to each address `target` resolves to in turn until one answers; the attempts share
// `timeout` in total (name resolution before them is not bounded by it) and wait on `loop`,
// where stop_fd (a stop signal, when not -1) ends the wait: Interrupted "interrupted by SIGINT
// while connecting", exit status 128 + the signal). The socket comes back in blocking mode with
// TCP_NODELAY off. Throws NetError "cannot resolve '...': ..." or "cannot connect to HOST:PORT:
// ...". With --verbose, console shows the addresses resolved and each attempt (how long, why it
// failed).
Socket connect_tcp(EventLoop& loop, const HostPort& target, std::chrono::milliseconds timeout,
                   const Console& console = Console(Verbosity::quiet), int stop_fd = -1);

}  // namespace cryptochat::net
