#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "net/event_loop.hpp"
#include "net/net_error.hpp"
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

}  // namespace

TEST_CASE("wait_ms: no deadline waits without limit, a past one not at all") {
  CHECK(wait_ms(std::nullopt) == -1);
  CHECK(wait_ms(Clock::now() - 1s) == 0);
  const int soon = wait_ms(Clock::now() + 200ms);
  CHECK(soon > 100);
  CHECK(soon <= 200);
}

TEST_CASE("a readable pipe's handler runs every turn until it is drained") {
  EventLoop loop;
  const Pipe p = make_pipe();
  std::vector<std::uint32_t> seen;
  const auto watch = loop.watch(p.read.get(), EPOLLIN, [&](std::uint32_t e) { seen.push_back(e); });
  loop.turn(Clock::now());
  CHECK(seen.empty());

  put_byte(p.write.get());
  loop.turn(Clock::now() + 1s);
  REQUIRE(seen.size() == 1);
  CHECK((seen[0] & EPOLLIN) != 0);
  loop.turn(Clock::now());  // level-triggered: still ready until read
  CHECK(seen.size() == 2);

  take_byte(p.read.get());
  loop.turn(Clock::now());
  CHECK(seen.size() == 2);
}

TEST_CASE("a turn with nothing ready waits until its wake time") {
  EventLoop loop;
  const Pipe p = make_pipe();
  const auto watch = loop.watch(p.read.get(), EPOLLIN, [](std::uint32_t) { FAIL("not ready"); });
  const auto start = Clock::now();
  loop.turn(start + 50ms);
  const auto waited = Clock::now() - start;
  CHECK(waited >= 45ms);
  CHECK(waited < 5s);
}

TEST_CASE("set_events(0) quiets a descriptor; other events bring it back") {
  EventLoop loop;
  const Pipe p = make_pipe();
  int calls = 0;
  auto watch = loop.watch(p.read.get(), EPOLLIN, [&](std::uint32_t) { ++calls; });
  put_byte(p.write.get());
  loop.turn(Clock::now() + 1s);
  CHECK(calls == 1);
  watch.set_events(0);
  CHECK(watch.events() == 0);
  loop.turn(Clock::now() + 20ms);
  CHECK(calls == 1);
  watch.set_events(EPOLLIN);
  loop.turn(Clock::now() + 1s);
  CHECK(calls == 2);
}

TEST_CASE("a watch ends with its owner: destroyed, reset or moved from") {
  EventLoop loop;
  const Pipe p = make_pipe();
  put_byte(p.write.get());
  int calls = 0;
  {
    const auto watch = loop.watch(p.read.get(), EPOLLIN, [&](std::uint32_t) { ++calls; });
  }
  loop.turn(Clock::now() + 20ms);
  CHECK(calls == 0);

  auto first = loop.watch(p.read.get(), EPOLLIN, [&](std::uint32_t) { ++calls; });
  EventLoop::Watch second = std::move(first);
  CHECK_FALSE(first.active());  // NOLINT(bugprone-use-after-move): moved-from is inactive
  CHECK(second.active());
  loop.turn(Clock::now() + 1s);
  CHECK(calls == 1);
  second.reset();
  second.reset();  // twice is fine
  loop.turn(Clock::now() + 20ms);
  CHECK(calls == 1);
  // The descriptor may be watched again once its watch is gone.
  const auto again = loop.watch(p.read.get(), EPOLLIN, [&](std::uint32_t) { calls += 10; });
  loop.turn(Clock::now() + 1s);
  CHECK(calls == 11);
}

TEST_CASE("a handler may end its own watch, or another's whose event is still to come") {
  EventLoop loop;
  const Pipe a = make_pipe();
  const Pipe b = make_pipe();
  put_byte(a.write.get());
  put_byte(b.write.get());
  EventLoop::Watch wa;
  EventLoop::Watch wb;
  int calls = 0;
  // Whichever runs first ends both: the other must not run in the same turn.
  wa = loop.watch(a.read.get(), EPOLLIN, [&](std::uint32_t) {
    ++calls;
    wa.reset();
    wb.reset();
  });
  wb = loop.watch(b.read.get(), EPOLLIN, [&](std::uint32_t) {
    ++calls;
    wb.reset();
    wa.reset();
  });
  loop.turn(Clock::now() + 1s);
  CHECK(calls == 1);
  loop.turn(Clock::now() + 20ms);
  CHECK(calls == 1);
}

TEST_CASE("a regular file and /dev/null are always ready while they want input") {
  EventLoop loop;
  const test::TempDir dir;
  const UniqueFd file(::open(dir.file("plain").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  REQUIRE(file);
  const UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  REQUIRE(null);
  int file_calls = 0;
  int null_calls = 0;
  auto wf = loop.watch(file.get(), EPOLLIN, [&](std::uint32_t e) {
    CHECK(e == EPOLLIN);
    ++file_calls;
  });
  const auto wn = loop.watch(null.get(), EPOLLIN, [&](std::uint32_t) { ++null_calls; });
  // No wait at all: a turn without a wake time returns at once.
  const auto start = Clock::now();
  loop.turn();
  loop.turn();
  CHECK(Clock::now() - start < 1s);
  CHECK(file_calls == 2);
  CHECK(null_calls == 2);
  // Not wanted: not called, and the loop sleeps again.
  wf.set_events(0);
  loop.turn();
  CHECK(file_calls == 2);
  CHECK(null_calls == 3);
}

TEST_CASE("watch throws NetError for a descriptor that is not one, or is watched twice") {
  EventLoop loop;
  const Pipe p = make_pipe();
  CHECK_THROWS_WITH_AS(static_cast<void>(loop.watch(-1, EPOLLIN, [](std::uint32_t) {})),
                       "cannot watch a descriptor: Bad file descriptor", NetError);
  const auto watch = loop.watch(p.read.get(), EPOLLIN, [](std::uint32_t) {});
  CHECK_THROWS_WITH_AS(static_cast<void>(loop.watch(p.read.get(), EPOLLIN, [](std::uint32_t) {})),
                       "cannot watch a descriptor: File exists", NetError);
}

TEST_CASE("every ready descriptor's handler runs in one turn") {
  EventLoop loop;
  std::vector<Pipe> pipes;
  std::vector<EventLoop::Watch> watches;
  constexpr int kPipes = 300;  // more than one epoll_wait batch
  std::vector<int> calls(kPipes, 0);
  for (int i = 0; i < kPipes; ++i) {
    pipes.push_back(make_pipe());
    put_byte(pipes.back().write.get());
    watches.push_back(
        loop.watch(pipes.back().read.get(), EPOLLIN, [&calls, &pipes, i](std::uint32_t) {
          ++calls[static_cast<std::size_t>(i)];
          take_byte(pipes[static_cast<std::size_t>(i)].read.get());
        }));
  }
  loop.turn(Clock::now() + 1s);
  loop.turn(Clock::now() + 100ms);  // the rest of a batch that did not fit
  for (int i = 0; i < kPipes; ++i) {
    CHECK(calls[static_cast<std::size_t>(i)] == 1);
  }
}

TEST_CASE("ticks run every turn, and the earliest wake they ask for ends the wait") {
  EventLoop loop;
  int ticks = 0;
  auto tick = loop.every_turn([&]() -> std::optional<Clock::time_point> {
    ++ticks;
    return Clock::now() + 30ms;
  });
  const auto never = loop.every_turn([]() -> std::optional<Clock::time_point> { return {}; });
  const auto start = Clock::now();
  loop.turn();  // would wait without limit but for the tick
  const auto waited = Clock::now() - start;
  CHECK(ticks == 1);
  CHECK(waited >= 25ms);
  CHECK(waited < 5s);
  tick.reset();
  loop.turn(Clock::now() + 10ms);
  CHECK(ticks == 1);
}

TEST_CASE("run_until asks after the ticks, and what a handler or tick throws comes out") {
  EventLoop loop;
  int turns = 0;
  const auto count = loop.every_turn([&]() -> std::optional<Clock::time_point> {
    ++turns;
    return Clock::now();
  });
  loop.run_until([&] { return turns >= 3; });
  CHECK(turns == 3);

  const Pipe p = make_pipe();
  put_byte(p.write.get());
  {
    const auto failing = loop.watch(p.read.get(), EPOLLIN,
                                    [](std::uint32_t) { throw std::runtime_error("handler"); });
    CHECK_THROWS_WITH(loop.run_until([] { return false; }), "handler");
  }
  const auto failing_tick = loop.every_turn(
      []() -> std::optional<Clock::time_point> { throw std::runtime_error("tick"); });
  CHECK_THROWS_WITH(loop.run_until([] { return false; }), "tick");
}

TEST_CASE("a tick may end itself and register another, which runs from the next turn") {
  EventLoop loop;
  int first = 0;
  int second = 0;
  EventLoop::Watch a;
  EventLoop::Watch b;
  a = loop.every_turn([&]() -> std::optional<Clock::time_point> {
    ++first;
    a.reset();
    b = loop.every_turn([&]() -> std::optional<Clock::time_point> {
      ++second;
      return Clock::now();
    });
    return Clock::now();
  });
  loop.turn();
  CHECK(first == 1);
  CHECK(second == 0);
  loop.turn();
  CHECK(first == 1);
  CHECK(second == 1);
}

TEST_CASE("a socketpair's hang-up reaches a handler that asked only for input") {
  EventLoop loop;
  int fds[2] = {-1, -1};
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) == 0);
  UniqueFd a(fds[0]);
  const UniqueFd b(fds[1]);
  std::uint32_t got = 0;
  const auto watch = loop.watch(b.get(), EPOLLIN, [&](std::uint32_t e) { got = e; });
  a.reset();
  loop.turn(Clock::now() + 1s);
  CHECK((got & (EPOLLIN | EPOLLHUP)) != 0);
}

TEST_CASE("forget_closed leaves alone a descriptor that took a closed one's number") {
  EventLoop loop;
  Pipe first = make_pipe();
  int first_calls = 0;
  auto first_watch = loop.watch(first.read.get(), EPOLLIN, [&](std::uint32_t) { ++first_calls; });
  const int number = first.read.get();
  first.read.reset();  // closed before its watch ended
  const Pipe second = make_pipe();
  REQUIRE(second.read.get() == number);  // the lowest free number comes back
  int second_calls = 0;
  const auto second_watch =
      loop.watch(second.read.get(), EPOLLIN, [&](std::uint32_t) { ++second_calls; });
  first_watch.forget_closed();
  CHECK_FALSE(first_watch.active());
  put_byte(second.write.get());
  loop.turn(Clock::now() + 1s);
  CHECK(second_calls == 1);
  CHECK(first_calls == 0);
}
