#include "scheduler/sync/atomic.hpp"

#include "scheduler/footprint.hpp"

namespace fsrace::sched {

int64_t Atomic::read() {
  point(Ls("atomic_read({})", name_));
  touch_lock(name_, instance_, lock_id_, false);
  return value_;
}

void Atomic::set(int64_t v) {
  point(Ls("atomic_set({})", name_));
  touch_lock(name_, instance_, lock_id_);
  value_ = v;
}

void Atomic::inc() {
  point(Ls("atomic_inc({})", name_));
  touch_lock(name_, instance_, lock_id_);
  ++value_;
}

void Atomic::dec() {
  point(Ls("atomic_dec({})", name_));
  touch_lock(name_, instance_, lock_id_);
  --value_;
}

int64_t Atomic::add_return(int64_t delta) {
  point(Ls("atomic_add_return({})", name_));
  touch_lock(name_, instance_, lock_id_);
  value_ += delta;
  return value_;
}

bool Atomic::dec_and_test() {
  point(Ls("atomic_dec_and_test({})", name_));
  touch_lock(name_, instance_, lock_id_);
  return --value_ == 0;
}

int64_t Atomic::cmpxchg(int64_t old, int64_t nw) {
  point(Ls("atomic_cmpxchg({})", name_));
  touch_lock(name_, instance_, lock_id_);
  const int64_t seen = value_;
  if (seen == old) value_ = nw;
  return seen;
}

}  // namespace fsrace::sched
