#include "scheduler/sync/rw_semaphore.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "scheduler/footprint.hpp"

namespace fsrace::sched {

RwSemaphore::RwSemaphore(const RwSemaphore& other) : name_(other.name_), instance_(other.instance_) {
  if (other.epoch_ == detail::run_epoch() && !other.queue_.empty())
    throw std::logic_error(fmt::format("fsrace: copying rw_semaphore {} while fibers wait on it", name_));
}

RwSemaphore& RwSemaphore::operator=(const RwSemaphore& other) {
  RwSemaphore fresh(other);
  drop_stale();
  if (!queue_.empty())
    throw std::logic_error(fmt::format("fsrace: assigning to rw_semaphore {} while fibers wait on it", name_));
  name_ = fresh.name_;
  instance_ = fresh.instance_;
  readers_ = 0;
  writer_ = false;
  writer_owner_ = kNoFiber;
  reader_fibers_.clear();
  return *this;
}

std::vector<std::pair<FiberId, bool>> RwSemaphore::waiters() const {
  std::vector<std::pair<FiberId, bool>> out;
  if (epoch_ == detail::run_epoch())
    for (const auto& w : queue_) out.emplace_back(w.fiber, w.write);
  return out;
}

void RwSemaphore::drop_stale() {
  const uint64_t now = detail::run_epoch();
  if (epoch_ != now) {
    queue_.clear();
    epoch_ = now;
  }
}

void RwSemaphore::hand_off() {
  // Grant to the head of the queue: one writer, or every reader up to the first writer.
  if (writer_ || queue_.empty()) return;
  if (queue_.front().write) {
    if (readers_ != 0) return;
    writer_ = true;
    const FiberId f = queue_.front().fiber;
    writer_owner_ = f;
    queue_.erase(queue_.begin());
    detail::wake(f);
    return;
  }
  size_t granted = 0;
  while (granted < queue_.size() && !queue_[granted].write) {
    add_reader(queue_[granted].fiber);
    detail::wake(queue_[granted].fiber);
    ++granted;
  }
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(granted));
}

void RwSemaphore::down_read() {
  const Label op = Ls("down_read({})", name_);
  point(op);
  touch_lock(name_, instance_, lock_id_);
  drop_stale();
  if (!writer_ && queue_.empty()) {  // a waiting writer holds new readers back (fairness)
    add_reader(self());
    return;
  }
  detail::require_fiber(op);
  queue_.push_back({self(), false});
  detail::primitive_only_step(name_, instance_, &lock_id_);  // blocking: the step ran no caller code (blocking.hpp)
  detail::block_current(op);  // hand_off() counted us as a reader before waking us
}

bool RwSemaphore::down_read_trylock() {
  point(Ls("down_read_trylock({})", name_));
  touch_lock(name_, instance_, lock_id_);
  drop_stale();
  if (writer_ || !queue_.empty()) return false;
  add_reader(self());
  return true;
}

void RwSemaphore::up_read() {
  point(Ls("up_read({})", name_));
  touch_lock(name_, instance_, lock_id_);
  drop_stale();
  if (readers_ <= 0) fail(FindingKind::Warn, fmt::format("up_read({}) without a reader holding it", name_));
  --readers_;
  // The reader leaving (the kernel lets another task release a read lock: then the oldest reader).
  auto it = std::find(reader_fibers_.begin(), reader_fibers_.end(), self());
  if (it == reader_fibers_.end()) it = reader_fibers_.begin();
  if (it != reader_fibers_.end()) reader_fibers_.erase(it);
  if (readers_ == 0) hand_off();
}

void RwSemaphore::down_write() {
  const Label op = Ls("down_write({})", name_);
  point(op);
  touch_lock(name_, instance_, lock_id_);
  drop_stale();
  if (!writer_ && readers_ == 0 && queue_.empty()) {
    writer_ = true;
    writer_owner_ = self();
    return;
  }
  detail::require_fiber(op);
  queue_.push_back({self(), true});
  detail::primitive_only_step(name_, instance_, &lock_id_);  // blocking: the step ran no caller code (blocking.hpp)
  detail::block_current(op);  // hand_off() made us the writer before waking us
}

bool RwSemaphore::down_write_trylock() {
  point(Ls("down_write_trylock({})", name_));
  touch_lock(name_, instance_, lock_id_);
  drop_stale();
  if (writer_ || readers_ != 0 || !queue_.empty()) return false;
  writer_ = true;
  writer_owner_ = self();
  return true;
}

void RwSemaphore::up_write() {
  point(Ls("up_write({})", name_));
  touch_lock(name_, instance_, lock_id_);
  drop_stale();
  if (!writer_) fail(FindingKind::Warn, fmt::format("up_write({}) without a writer holding it", name_));
  writer_ = false;
  writer_owner_ = kNoFiber;
  hand_off();
}

}  // namespace fsrace::sched
