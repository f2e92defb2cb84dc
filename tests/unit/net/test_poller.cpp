#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "net/net_error.hpp"
#include "net/poller.hpp"
#include "test_support.hpp"
#include "util/unique_fd.hpp"

using namespace cryptochat;
using namespace cryptochat::net;
using namespace std::chrono_literals;

namespace {

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Pipe make_pipe() {
  int fds[2] = {-1, -1};
  REQUIRE(::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void put_byte(int fd) {
  const std::uint8_t byte = 'x';
  REQUIRE(::write(fd, &byte, 1) == 1);
}

void take_byte(int fd) {
  std::uint8_t byte = 0;
  REQUIRE(::read(fd, &byte, 1) == 1);
}

std::vector<std::uint64_t> tokens(std::span<const epoll_event> events) {
  std::vector<std::uint64_t> out;
  for (const auto& e : events) {
    const std::uint64_t token = e.data.u64;  // epoll_event is packed: no reference to the field
    out.push_back(token);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("a Poller reports a readable pipe with its token until it is drained") {
  Poller poller;
  const Pipe p = make_pipe();
  const std::uint64_t token = 0xFEDCBA9876543210ULL;
  REQUIRE(poller.add(p.read.get(), EPOLLIN, token));
  CHECK(poller.wait(0).empty());

  put_byte(p.write.get());
  const auto ready = poller.wait(1000);
  REQUIRE(ready.size() == 1);
  const std::uint64_t got = ready[0].data.u64;  // epoll_event is packed: copy, then compare
  CHECK(got == token);
  CHECK((ready[0].events & EPOLLIN) != 0);
  // Level-triggered: still ready until read.
  CHECK(tokens(poller.wait(0)) == std::vector<std::uint64_t>{token});

  take_byte(p.read.get());
  CHECK(poller.wait(0).empty());
}

TEST_CASE("wait with nothing ready returns empty after its timeout") {
  Poller poller;
  CHECK(poller.wait(0).empty());
  const Pipe p = make_pipe();
  REQUIRE(poller.add(p.read.get(), EPOLLIN, 1));
  const auto start = std::chrono::steady_clock::now();
  CHECK(poller.wait(50).empty());
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= 40ms);
  CHECK(waited < 5s);
}

TEST_CASE("modify changes the events and the token, and 0 events stops reports") {
  Poller poller;
  const Pipe p = make_pipe();
  REQUIRE(poller.add(p.read.get(), EPOLLIN, 1));
  put_byte(p.write.get());
  CHECK(tokens(poller.wait(1000)) == std::vector<std::uint64_t>{1});

  poller.modify(p.read.get(), 0, 1);
  CHECK(poller.wait(0).empty());
  CHECK(poller.wait(20).empty());

  poller.modify(p.read.get(), EPOLLIN, 7);
  CHECK(tokens(poller.wait(1000)) == std::vector<std::uint64_t>{7});
}

TEST_CASE("a removed descriptor is no longer reported and may be added again") {
  Poller poller;
  const Pipe p = make_pipe();
  REQUIRE(poller.add(p.read.get(), EPOLLIN, 3));
  put_byte(p.write.get());
  poller.remove(p.read.get());
  CHECK(poller.wait(0).empty());
  // Removing what is not watched is quietly ignored.
  poller.remove(p.read.get());
  poller.remove(-1);
  REQUIRE(poller.add(p.read.get(), EPOLLIN, 4));
  CHECK(tokens(poller.wait(1000)) == std::vector<std::uint64_t>{4});
}

TEST_CASE("a socketpair's ends come back with their own tokens and events") {
  Poller poller;
  int fds[2] = {-1, -1};
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) == 0);
  const UniqueFd a(fds[0]);
  const UniqueFd b(fds[1]);
  REQUIRE(poller.add(a.get(), EPOLLOUT, 10));
  REQUIRE(poller.add(b.get(), EPOLLIN, 20));
  // An empty socket is writable but not readable.
  auto ready = poller.wait(1000);
  REQUIRE(ready.size() == 1);
  const std::uint64_t first = ready[0].data.u64;
  CHECK(first == 10);
  CHECK(ready[0].events == EPOLLOUT);

  put_byte(a.get());
  CHECK(tokens(poller.wait(1000)) == std::vector<std::uint64_t>{10, 20});
  for (const auto& e : poller.wait(0)) {
    CHECK((e.events & (e.data.u64 == 10 ? EPOLLOUT : EPOLLIN)) != 0);
  }

  // The peer's end closing shows as hang-up on b, even with only EPOLLIN asked for.
  take_byte(b.get());
  poller.remove(a.get());
  ::shutdown(a.get(), SHUT_RDWR);
  ready = poller.wait(1000);
  REQUIRE(ready.size() == 1);
  const std::uint64_t only = ready[0].data.u64;
  CHECK(only == 20);
  CHECK((ready[0].events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP)) != 0);
}

TEST_CASE("add refuses what epoll cannot watch: a regular file and /dev/null") {
  Poller poller;
  const test::TempDir dir;
  const UniqueFd file(::open(dir.file("plain").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  REQUIRE(file);
  CHECK_FALSE(poller.add(file.get(), EPOLLIN, 1));
  const UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  REQUIRE(null);
  CHECK_FALSE(poller.add(null.get(), EPOLLIN | EPOLLOUT, 2));
  // Neither is watched afterwards.
  CHECK(poller.wait(0).empty());
  CHECK_THROWS_AS(poller.modify(file.get(), EPOLLIN, 1), NetError);
}

TEST_CASE("add and modify throw NetError for other failures") {
  Poller poller;
  const Pipe p = make_pipe();
  // Not a descriptor at all.
  CHECK_THROWS_WITH_AS(poller.add(-1, EPOLLIN, 1), "cannot watch a descriptor: Bad file descriptor",
                       NetError);
  // Added twice.
  REQUIRE(poller.add(p.read.get(), EPOLLIN, 1));
  CHECK_THROWS_WITH_AS(poller.add(p.read.get(), EPOLLIN, 2),
                       "cannot watch a descriptor: File exists", NetError);
  // Modified without being added.
  CHECK_THROWS_WITH_AS(poller.modify(p.write.get(), EPOLLOUT, 3),
                       "cannot watch a descriptor: No such file or directory", NetError);
  // The failed calls did not disturb the watched descriptor's token.
  put_byte(p.write.get());
  CHECK(tokens(poller.wait(1000)) == std::vector<std::uint64_t>{1});
}

TEST_CASE("every ready descriptor is reported by one wait") {
  Poller poller;
  std::vector<Pipe> pipes;
  constexpr std::uint64_t kPipes = 40;
  for (std::uint64_t i = 0; i < kPipes; ++i) {
    pipes.push_back(make_pipe());
    REQUIRE(poller.add(pipes.back().read.get(), EPOLLIN, 100 + i));
    put_byte(pipes.back().write.get());
  }
  const auto got = tokens(poller.wait(1000));
  REQUIRE(got.size() == kPipes);
  for (std::uint64_t i = 0; i < kPipes; ++i) {
    CHECK(got[i] == 100 + i);
  }
}
