#include "model/extent_io/page.hpp"

#include "model/footprints.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {

namespace {
// Each primitive's scope: the page's own state (PG_locked and its waiters, refcount), nothing else; the
// flags it reads are the page's too. Opened after the primitive's point, so that it claims only the step
// that starts there.
sched::Footprint btree_page_claim(const btree_page& p, bool write) {
  return sched::declared().touch(fp::btree_page(p.index), write).reads_from(fp::btree_inode());
}
}  // namespace

void lock_page(btree_page& p) {
  for (;;) {  // bounded by the scheduler's step limit
    sched::point(sched::L("lock_page(btree page {})", p.index));
    sched::FootprintScope scope(btree_page_claim(p, true));  // PG_locked and the page's waiters
    if (!p.locked) {
      p.locked = true;
      return;
    }
    p.waiters.block(sched::L("lock_page(btree page {})", p.index));
  }
}

bool trylock_page(btree_page& p) {
  sched::point(sched::L("trylock_page(btree page {})", p.index));
  sched::FootprintScope scope(btree_page_claim(p, true));  // PG_locked
  if (p.locked) return false;
  p.locked = true;
  return true;
}

void unlock_page(btree_page& p) {
  sched::FootprintScope scope(btree_page_claim(p, true));  // PG_locked and the page's waiters
  FSRACE_BUG_ON(!p.locked, "unlock_page(btree page {}) of an unlocked page", p.index);
  p.locked = false;
  p.waiters.wake_all();
}

void wait_on_page_locked(btree_page& p) {
  for (;;) {  // bounded by the scheduler's step limit
    sched::point(sched::L("wait_on_page_locked(btree page {})", p.index));
    // Reads PG_locked; blocking adds this fiber to the page's waiters (a write of the page).
    sched::FootprintScope scope(btree_page_claim(p, !!p.locked));
    if (!p.locked) return;
    p.waiters.block(sched::L("wait_on_page_locked(btree page {})", p.index));
  }
}

void get_page(btree_page& p) {
  sched::FootprintScope scope(btree_page_claim(p, true));  // the reference count
  ++p.refcount;
}

void put_page(btree_page& p) {
  sched::FootprintScope scope(btree_page_claim(p, true));  // the reference count
  FSRACE_BUG_ON(p.refcount <= 0, "put_page(btree page {}) with refcount {}", p.index, p.refcount);
  --p.refcount;
}

}  // namespace fsrace::model
