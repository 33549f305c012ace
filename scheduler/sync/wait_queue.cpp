#include "scheduler/sync/wait_queue.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "scheduler/footprint.hpp"

namespace fsrace::sched {

WaitQueue::WaitQueue(const WaitQueue& other) : name_(other.name_), instance_(other.instance_) {
  if (!other.waiters_.empty())
    throw std::logic_error(fmt::format("fsrace: copying wait queue {} while fibers wait on it", name_));
}

WaitQueue& WaitQueue::operator=(const WaitQueue& other) {
  if (!other.waiters_.empty() || !waiters_.empty())
    throw std::logic_error(fmt::format("fsrace: assigning wait queue {} while fibers wait on it", name_));
  name_ = other.name_;
  instance_ = other.instance_;
  return *this;
}

void WaitQueue::wake_up() {
  point(Ls("wake_up({})", name_));
  touch_lock(name_, instance_, lock_id_);
  waiters_.wake_all();
}

}  // namespace fsrace::sched
