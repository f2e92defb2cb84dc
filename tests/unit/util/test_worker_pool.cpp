#include <doctest/doctest.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "util/worker_pool.hpp"

using namespace cryptochat;
using namespace std::chrono_literals;

namespace {

bool readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN) != 0;
}

// Calls run_finished() each time notify_fd() turns readable, until done() or 10 s passed.
template <typename Done>
void run_until(WorkerPool& pool, Done done) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    if (readable(pool.notify_fd(), 100)) {
      pool.run_finished();
    }
  }
}

// Waits up to 10 s for flag to turn true.
bool wait_for(const std::atomic<bool>& flag) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!flag.load() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  return flag.load();
}

}  // namespace

TEST_CASE("a job runs on a worker and its continuation only inside run_finished") {
  WorkerPool pool(2);
  CHECK_FALSE(readable(pool.notify_fd(), 0));

  std::atomic<bool> job_done{false};
  std::thread::id job_thread;
  std::thread::id then_thread;
  bool then_ran = false;
  pool.submit(
      [&] {
        job_thread = std::this_thread::get_id();
        job_done = true;
      },
      [&] {
        then_thread = std::this_thread::get_id();
        then_ran = true;
      });
  REQUIRE(wait_for(job_done));
  REQUIRE(readable(pool.notify_fd(), 5000));
  // Finished, and still the continuation waits for the owner's thread.
  std::this_thread::sleep_for(20ms);
  CHECK_FALSE(then_ran);

  pool.run_finished();
  CHECK(then_ran);
  CHECK(then_thread == std::this_thread::get_id());
  CHECK(job_thread != std::this_thread::get_id());
  // Nothing else waits, so the descriptor is quiet again.
  CHECK_FALSE(readable(pool.notify_fd(), 0));
  // A run_finished with nothing finished is harmless.
  pool.run_finished();
  CHECK_FALSE(readable(pool.notify_fd(), 0));
}

TEST_CASE("one run_finished runs every continuation that is ready") {
  WorkerPool pool(2);
  std::atomic<int> jobs_done{0};
  int thens = 0;
  for (int i = 0; i < 3; ++i) {
    pool.submit([&] { ++jobs_done; }, [&] { ++thens; });
  }
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (jobs_done.load() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  REQUIRE(jobs_done.load() == 3);
  REQUIRE(readable(pool.notify_fd(), 5000));
  CHECK(thens == 0);
  pool.run_finished();
  CHECK(thens == 3);
  CHECK_FALSE(readable(pool.notify_fd(), 0));
}

TEST_CASE("many jobs each get their continuation exactly once") {
  WorkerPool pool(2);
  constexpr int kJobs = 200;
  std::vector<int> thens(kJobs, 0);
  std::atomic<int> jobs{0};
  for (int i = 0; i < kJobs; ++i) {
    pool.submit([&] { ++jobs; }, [&thens, i] { ++thens[static_cast<std::size_t>(i)]; });
  }
  int total = 0;
  run_until(pool, [&] {
    total = 0;
    for (const int t : thens) {
      total += t;
    }
    return total == kJobs;
  });
  CHECK(jobs.load() == kJobs);
  CHECK(total == kJobs);
  CHECK(std::all_of(thens.begin(), thens.end(), [](int t) { return t == 1; }));
}

TEST_CASE("two jobs run at the same time on two threads") {
  WorkerPool pool(2);
  // Each job waits for the other to have started: only possible when both run at once. On a
  // pool that runs them one after the other the first gives up after its timeout.
  std::mutex mutex;
  std::condition_variable cv;
  int arrived = 0;
  std::atomic<int> met{0};
  const auto meet = [&] {
    std::unique_lock lock(mutex);
    ++arrived;
    cv.notify_all();
    if (cv.wait_for(lock, 5s, [&] { return arrived == 2; })) {
      ++met;
    }
  };
  int thens = 0;
  pool.submit(meet, [&] { ++thens; });
  pool.submit(meet, [&] { ++thens; });
  run_until(pool, [&] { return thens == 2; });
  CHECK(thens == 2);
  CHECK(met.load() == 2);
}

TEST_CASE("destroying a pool waits for the running job and drops the queued ones") {
  std::atomic<bool> blocker_started{false};
  std::atomic<bool> blocker_finished{false};
  std::atomic<bool> destroying{false};
  std::atomic<int> queued_jobs_ran{0};
  std::atomic<int> thens_ran{0};
  const auto start = std::chrono::steady_clock::now();
  {
    WorkerPool pool(1);
    pool.submit(
        [&] {
          blocker_started = true;
          // Runs on until the pool is being destroyed, so the jobs below are still queued.
          wait_for(destroying);
          std::this_thread::sleep_for(300ms);
          blocker_finished = true;
        },
        [&] { ++thens_ran; });
    REQUIRE(wait_for(blocker_started));
    for (int i = 0; i < 3; ++i) {
      pool.submit([&] { ++queued_jobs_ran; }, [&] { ++thens_ran; });
    }
    destroying = true;
  }
  CHECK(blocker_finished.load());
  CHECK(queued_jobs_ran.load() == 0);
  CHECK(thens_ran.load() == 0);
  CHECK(std::chrono::steady_clock::now() - start < 10s);
}

TEST_CASE("destroying a pool with finished continuations does not run them") {
  std::atomic<bool> job_done{false};
  bool then_ran = false;
  {
    WorkerPool pool(2);
    pool.submit([&] { job_done = true; }, [&] { then_ran = true; });
    REQUIRE(wait_for(job_done));
    REQUIRE(readable(pool.notify_fd(), 5000));
  }
  CHECK_FALSE(then_ran);
}
