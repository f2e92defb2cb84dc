#include "net/socket.hpp"

#include <sys/socket.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <optional>

#include "net/net_error.hpp"
#include "net/sockaddr.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"

namespace cryptochat::net {

namespace {

using Clock = std::chrono::steady_clock;

struct Attempt {
  UniqueFd fd;             // connected, on success
  int err = 0;             // why this address failed
  bool timed_out = false;  // the overall deadline passed
};

Attempt failed(int err) {
  Attempt result;
  result.err = err;
  return result;
}

Attempt connected(UniqueFd fd) {
  Attempt result;
  result.fd = std::move(fd);
  return result;
}

// A nonblocking connect, so the wait is ours to bound; the socket is made blocking again only
// once it is connected.
Attempt attempt(EventLoop& loop, const addrinfo& ai, Clock::time_point deadline, int stop_fd) {
  UniqueFd fd(
      ::socket(ai.ai_family, ai.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai.ai_protocol));
  if (!fd) {
    return failed(errno);
  }
  if (::connect(fd.get(), ai.ai_addr, ai.ai_addrlen) == 0) {
    return connected(std::move(fd));
  }
  // EINTR leaves a nonblocking connect running in the background, just like EINPROGRESS.
  if (errno != EINPROGRESS && errno != EINTR) {
    return failed(errno);
  }
  bool ready = false;
  const auto connecting = loop.watch(fd.get(), EPOLLOUT, [&ready](std::uint32_t) { ready = true; });
  EventLoop::Watch stop;
  if (stop_fd >= 0) {
    stop =
        loop.watch(stop_fd, EPOLLIN, [](std::uint32_t) { throw interrupted(" while connecting"); });
  }
  const auto timer = loop.every_turn([deadline] { return std::optional(deadline); });
  loop.run_until([&] { return ready || Clock::now() >= deadline; });
  if (!ready) {
    Attempt result;
    result.timed_out = true;
    return result;
  }
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
    return failed(errno);
  }
  if (err != 0) {
    return failed(err);
  }
  return connected(std::move(fd));
}

}  // namespace

Socket connect_tcp(EventLoop& loop, const HostPort& target, std::chrono::milliseconds timeout,
                   const Console& console, int stop_fd) {
  const auto resolve_start = Clock::now();
  const auto list =
      detail::resolve(target.host.c_str(), target.port, 0,
                      fmt::format("cannot resolve '{}'", detail::escaped_excerpt(target.host)));
  const std::string where = detail::escaped_excerpt(format_host_port(target));
  const auto ms_since = [](Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  };
  if (console.verbosity() == Verbosity::verbose) {
    std::string addresses;
    for (const addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) {
      addresses +=
          (addresses.empty() ? "" : ", ") + detail::sockaddr_text(ai->ai_addr, ai->ai_addrlen);
    }
    console.debug("{} resolved in {:.1f} ms to {}", detail::escaped_excerpt(target.host),
                  ms_since(resolve_start), addresses);
  }
  const auto deadline = Clock::now() + timeout;
  int last_err = EHOSTUNREACH;  // only reported if getaddrinfo returned no address at all
  for (const addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) {
    const auto attempt_start = Clock::now();
    const std::string address = detail::sockaddr_text(ai->ai_addr, ai->ai_addrlen);
    Attempt result = attempt(loop, *ai, deadline, stop_fd);
    if (result.fd) {
      console.debug("connected to {} in {:.1f} ms", address, ms_since(attempt_start));
      detail::set_fd_nonblocking(result.fd.get(), false);
      Socket socket(std::move(result.fd));
      socket.set_keepalive();
      return socket;
    }
    console.debug("connecting to {} failed after {:.1f} ms: {}", address, ms_since(attempt_start),
                  result.timed_out ? std::string("timed out") : errno_text(result.err));
    if (result.timed_out) {
      throw NetError(fmt::format("cannot connect to {}: timed out after {:g} s", where,
                                 static_cast<double>(timeout.count()) / 1000.0));
    }
    last_err = result.err;
  }
  throw NetError(fmt::format("cannot connect to {}: {}", where, errno_text(last_err)));
}

}  // namespace cryptochat::net
