// A few threads for work too slow for an event loop (RSA in handshakes): the loop hands a job
// over, goes on serving everyone else, and runs the job's continuation on its own thread once
// notify_fd() turns readable. Jobs and continuations must catch their own exceptions.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "util/unique_fd.hpp"

namespace cryptochat {

class WorkerPool {
 public:
  // threads == 0: one per core.
  explicit WorkerPool(std::size_t threads = 0);
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  WorkerPool(WorkerPool&&) = delete;
  WorkerPool& operator=(WorkerPool&&) = delete;
  // Waits for the running jobs; queued ones are discarded with their continuations.
  ~WorkerPool();

  // job runs on a worker; then runs later inside run_finished(), on the caller's thread.
  void submit(std::function<void()> job, std::function<void()> then);

  // Readable while continuations wait for run_finished().
  [[nodiscard]] int notify_fd() const { return event_.get(); }
  void run_finished();

 private:
  struct Task {
    std::function<void()> job;
    std::function<void()> then;
  };
  void work();

  UniqueFd event_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Task> queued_;
  std::vector<std::function<void()>> finished_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace cryptochat
