#include "scheduler/sync/mutex.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "scheduler/footprint.hpp"

namespace fsrace::sched {

namespace {
const detail::ExclusiveLock::Texts kMutexTexts{"mutex_lock({})", "mutex_trylock({})", "mutex_unlock({})"};
const detail::ExclusiveLock::Texts kSpinTexts{"spin_lock({})", "spin_trylock({})", "spin_unlock({})"};

void check_no_waiters(const WaitList& waiters, const char* name) {
  if (!waiters.empty()) throw std::logic_error(fmt::format("fsrace: copying lock {} while fibers wait on it", name));
}
}  // namespace

Mutex::Mutex(const char* name) : core_(name, kMutexTexts) {}
SpinLock::SpinLock(const char* name) : core_(name, kSpinTexts) {}

namespace detail {

ExclusiveLock::ExclusiveLock(const ExclusiveLock& other)
    : name_(other.name_), texts_(other.texts_), instance_(other.instance_) {
  check_no_waiters(other.waiters_, other.name_);
}

ExclusiveLock& ExclusiveLock::operator=(const ExclusiveLock& other) {
  check_no_waiters(other.waiters_, other.name_);
  check_no_waiters(waiters_, name_);
  name_ = other.name_;
  texts_ = other.texts_;
  instance_ = other.instance_;
  locked_ = false;
  owner_ = kNoFiber;
  return *this;
}

void ExclusiveLock::lock() {
  const Label op = Ls(texts_->lock, name_);
  point(op);
  touch_lock(name_, instance_, lock_id_);
  if (!locked_) {
    locked_ = true;
    owner_ = self();
    return;
  }
  detail::primitive_only_step(name_, instance_, &lock_id_);  // blocking: the step ran no caller code (blocking.hpp)
  // unlock() hands the lock over before waking us: the step that resumes touches none of its state and
  // runs on into the caller's code (the caller's claim, which the step starts with).
  waiters_.block(op);
}

bool ExclusiveLock::trylock() {
  point(Ls(texts_->trylock, name_));
  touch_lock(name_, instance_, lock_id_);
  if (locked_) return false;
  locked_ = true;
  owner_ = self();
  return true;
}

void ExclusiveLock::unlock() {
  point(Ls(texts_->unlock, name_));
  touch_lock(name_, instance_, lock_id_);
  if (!locked_) fail(FindingKind::Warn, fmt::format(fmt::runtime(texts_->unlock), name_) + " of an unlocked lock");
  if (owner_ != self() && owner_ != kNoFiber && in_fiber())
    fail(FindingKind::Warn, fmt::format("{} by {}, which does not own it", fmt::format(fmt::runtime(texts_->unlock), name_),
                                        self_name()));
  const FiberId next = waiters_.front();
  if (next == kNoFiber) {
    locked_ = false;
    owner_ = kNoFiber;
    return;
  }
  owner_ = next;  // FIFO hand-off: the oldest waiter owns the lock when it runs again
  waiters_.wake_one();
}

}  // namespace detail
}  // namespace fsrace::sched
