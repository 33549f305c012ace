#pragma once
#include <vector>

#include "scheduler/footprint.hpp"
#include "scheduler/sync/blocking.hpp"

namespace fsrace::sched {

/// Kernel struct rw_semaphore with FIFO fairness: a reader queues behind a waiting writer; a release
/// hands the semaphore to the oldest waiter (a writer, or the run of readers at the head of the queue).
/// Points: "down_read(name)", "up_read(name)", "down_write(name)", "up_write(name)", "..._trylock(name)".
class RwSemaphore {
 public:
  explicit RwSemaphore(const char* name) : name_(name) {}
  RwSemaphore(const RwSemaphore& other);  // fresh unlocked semaphore with the same name
  RwSemaphore& operator=(const RwSemaphore& other);

  void down_read();
  void up_read();
  void down_write();
  void up_write();
  bool down_read_trylock();
  bool down_write_trylock();

  // State reads in the caller's step record the semaphore's object as read (footprint.hpp).
  int readers() const {
    touch_lock(name_, instance_, lock_id_, false);
    return readers_;
  }
  bool write_locked() const {
    touch_lock(name_, instance_, lock_id_, false);
    return writer_;
  }
  const char* name() const { return name_; }
  /// Who holds it (state dumps): the writer, or the readers in the order they got it.
  FiberId writer() const {
    touch_lock(name_, instance_, lock_id_, false);
    return writer_owner_;
  }
  const std::vector<FiberId>& reader_fibers() const {
    touch_lock(name_, instance_, lock_id_, false);
    return reader_fibers_;
  }
  /// Who waits, oldest first, and for what (true: writing).
  std::vector<std::pair<FiberId, bool>> waiters() const;
  /// Tells DPOR's footprints this instance apart from others of the same name (footprint.hpp lock_id).
  void set_instance(uint64_t n) { instance_ = n; }

 private:
  struct Waiter { FiberId fiber; bool write; };
  void drop_stale();
  void hand_off();
  void add_reader(FiberId f) { ++readers_, reader_fibers_.push_back(f); }
  const char* name_;
  uint64_t instance_ = 0;
  LockIdCache lock_id_;  // touch_lock's id of (name_, instance_)
  int readers_ = 0;
  bool writer_ = false;
  FiberId writer_owner_ = kNoFiber;
  std::vector<FiberId> reader_fibers_;  // readers_ of them
  std::vector<Waiter> queue_;
  uint64_t epoch_ = 0;
};

/// down_write for a scope.
class WriteGuard {
 public:
  explicit WriteGuard(RwSemaphore& sem) : sem_(sem) { sem_.down_write(); }
  ~WriteGuard() { sem_.up_write(); }
  WriteGuard(const WriteGuard&) = delete;
  WriteGuard& operator=(const WriteGuard&) = delete;

 private:
  RwSemaphore& sem_;
};

}  // namespace fsrace::sched
