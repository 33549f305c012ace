#include "model/extent_io/page.hpp"

#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {

void lock_page(btree_page& p) {
  for (;;) {  // bounded by the scheduler's step limit
    sched::point(sched::L("lock_page(btree page {})", p.index));
    if (!p.locked) {
      p.locked = true;
      return;
    }
    p.waiters.block(sched::L("lock_page(btree page {})", p.index));
  }
}

bool trylock_page(btree_page& p) {
  sched::point(sched::L("trylock_page(btree page {})", p.index));
  if (p.locked) return false;
  p.locked = true;
  return true;
}

void unlock_page(btree_page& p) {
  FSRACE_BUG_ON(!p.locked, "unlock_page(btree page {}) of an unlocked page", p.index);
  p.locked = false;
  p.waiters.wake_all();
}

void wait_on_page_locked(btree_page& p) {
  for (;;) {  // bounded by the scheduler's step limit
    sched::point(sched::L("wait_on_page_locked(btree page {})", p.index));
    if (!p.locked) return;
    p.waiters.block(sched::L("wait_on_page_locked(btree page {})", p.index));
  }
}

void put_page(btree_page& p) {
  FSRACE_BUG_ON(p.refcount <= 0, "put_page(btree page {}) with refcount {}", p.index, p.refcount);
  --p.refcount;
}

}  // namespace fsrace::model
