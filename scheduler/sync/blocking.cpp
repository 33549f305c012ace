#include "scheduler/sync/blocking.hpp"

namespace fsrace::sched {

void WaitList::drop_stale() {
  const uint64_t now = detail::run_epoch();
  if (epoch_ != now) {  // waiters of an earlier execution (or none yet): they must never be woken
    waiters_.clear();
    epoch_ = now;
  }
}

void WaitList::block(const Label& what) {
  detail::require_fiber(what);
  drop_stale();
  waiters_.push_back(self());
  detail::block_current(what);
}

bool WaitList::wake_one() {
  drop_stale();
  if (waiters_.empty()) return false;
  const FiberId f = waiters_.front();
  waiters_.erase(waiters_.begin());
  detail::wake(f);
  return true;
}

size_t WaitList::wake_all() {
  drop_stale();
  const size_t n = waiters_.size();
  for (FiberId f : waiters_) detail::wake(f);
  waiters_.clear();
  return n;
}

FiberId WaitList::front() {
  drop_stale();
  return waiters_.empty() ? kNoFiber : waiters_.front();
}

bool WaitList::empty() const { return epoch_ != detail::run_epoch() || waiters_.empty(); }
size_t WaitList::size() const { return epoch_ != detail::run_epoch() ? 0 : waiters_.size(); }
std::vector<FiberId> WaitList::fibers() const { return epoch_ != detail::run_epoch() ? std::vector<FiberId>{} : waiters_; }

}  // namespace fsrace::sched
