#include "util/worker_pool.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "util/error.hpp"

namespace cryptochat {

WorkerPool::WorkerPool(std::size_t threads) : event_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!event_) {
    throw Error(ExitCode::failure, "cannot create an eventfd: " + errno_text(errno));
  }
  if (threads == 0) {
    threads = std::max(1U, std::thread::hardware_concurrency());
  }
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { work(); });
  }
}

WorkerPool::~WorkerPool() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) {
    t.join();
  }
}

void WorkerPool::submit(std::function<void()> job, std::function<void()> then) {
  {
    const std::lock_guard lock(mutex_);
    queued_.push_back(Task{std::move(job), std::move(then)});
  }
  wake_.notify_one();
}

void WorkerPool::work() {
  while (true) {
    Task task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queued_.empty(); });
      if (stopping_) {
        return;
      }
      task = std::move(queued_.front());
      queued_.pop_front();
    }
    task.job();
    {
      const std::lock_guard lock(mutex_);
      finished_.push_back(std::move(task.then));
    }
    const std::uint64_t one = 1;
    // Cannot fail short of a counter overflow; a lost wake-up is caught by the next job.
    static_cast<void>(::write(event_.get(), &one, sizeof one));
  }
}

void WorkerPool::run_finished() {
  std::uint64_t count = 0;
  static_cast<void>(::read(event_.get(), &count, sizeof count));
  std::vector<std::function<void()>> ready;
  {
    const std::lock_guard lock(mutex_);
    ready.swap(finished_);
  }
  for (auto& then : ready) {
    then();
  }
}

}  // namespace cryptochat
