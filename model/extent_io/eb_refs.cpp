// Extent buffer reference counting: find_extent_buffer, check_buffer_tree_ref, free_extent_buffer,
// release_extent_buffer (fs/btrfs/extent_io.c). refs counts every holder; the radix tree's own
// reference is counted while EXTENT_BUFFER_TREE_REF is set. Lock-free accesses to refs and bflags are
// scheduling points; accesses under eb->refs_lock share the step of the spin_lock.
#include <fmt/format.h>

#include "model/extent_io/eb_footprints.hpp"
#include "model/extent_io/eb_internal.hpp"
#include "model/extent_io/eb_materialize.hpp"
#include "model/extent_io/extent_io.hpp"
#include "model/fs_info.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {

void eb_check_alive(const extent_buffer& eb, const char* where) {
  sched::FootprintScope scope(ebfp::allocator_read());  // complete: reads the buffer's freed flag
  FSRACE_BUG_ON(eb.freed, "{}: use-after-free of extent buffer {} (freed, bflags {})", where, eb.start,
                describe_bflags(eb.bflags));
}

extent_buffer_ptr eb_from_page_private(btrfs_fs_info& fs_info, const btree_page& p) {
  // Complete: page private, and allocated_ebs' entry of the buffer it names (the allocator's books).
  sched::Footprint claim = sched::declared();
  sched::FootprintScope scope(ebfp::page(claim, p.index, false));
  auto it = fs_info.allocated_ebs.find(p.private_eb);
  FSRACE_BUG_ON(it == fs_info.allocated_ebs.end(), "btree page {} private points to freed extent buffer #{}",
                p.index, p.private_eb);
  return it->second;
}

void check_buffer_tree_ref(btrfs_fs_info& fs_info, extent_buffer& eb) {
  eb_check_alive(eb, "check_buffer_tree_ref");
  // One step reads refs and TREE_REF (atomic_read + test_bit): the fast path when both hold.
  sched::point(sched::L("check_buffer_tree_ref(eb {})", eb.start));
  // Complete: the fast path reads the buffer's refs and TREE_REF; the slow path (nested scope) also
  // writes them, under refs_lock (its own object).
  sched::FootprintScope scope(ebfp::buffer(eb.start, false));
  if (eb.refs >= 2 && eb.test_bit(EXTENT_BUFFER_TREE_REF)) return;
  sched::FootprintScope write(ebfp::buffer(eb.start, true));
  eb.refs_lock.spin_lock_in_step();
  if (!eb.test_and_set_bit(EXTENT_BUFFER_TREE_REF)) ++eb.refs;
  eb.refs_lock.spin_unlock();
}

void mark_extent_buffer_accessed(btrfs_fs_info& fs_info, extent_buffer& eb) {
  check_buffer_tree_ref(fs_info, eb);  // mark_page_accessed of the pages only feeds the LRU
}

extent_buffer_ptr find_extent_buffer(btrfs_fs_info& fs_info, uint64_t start) {
  // radix_tree_lookup under rcu_read_lock, then atomic_inc_not_zero: one step.
  sched::point(sched::L("find_extent_buffer({})", start));
  extent_buffer_ptr eb;
  {
    // Complete: the eb_tree slot and the buffer's refs and bflags (written: the new reference);
    // materialize_dirty_extent_buffer's own scope; refs_lock is its own object. The scope closes before
    // mark_extent_buffer_accessed, whose step (check_buffer_tree_ref's) returns to the caller.
    sched::FootprintScope scope(ebfp::buffer(start, true));
    auto it = fs_info.eb_tree.find(start >> PAGE_SHIFT);
    eb = it != fs_info.eb_tree.end() ? it->second : materialize_dirty_extent_buffer(fs_info, start);
    if (!eb || eb->refs == 0) return nullptr;
    eb_check_alive(*eb, "find_extent_buffer");
    ++eb->refs;
    // A STALE buffer may be in the middle of free_extent_buffer dropping two references: wait for it
    // (062c19e9dd69; before it, the reference was taken and the buffer returned without the wait).
    if (fs_info.fixes.has("062c19e9dd69") && eb->test_bit(EXTENT_BUFFER_STALE)) {
      eb->refs_lock.spin_lock();
      eb->refs_lock.spin_unlock();
    }
  }
  mark_extent_buffer_accessed(fs_info, *eb);
  return eb;
}

int release_extent_buffer(btrfs_fs_info& fs_info, const extent_buffer_ptr& eb) {
  // Complete: the buffer's refs and bflags; the last reference's part (nested scope) frees it.
  sched::FootprintScope scope(ebfp::buffer(eb->start, true));
  FSRACE_MODEL_CHECK(eb->refs_lock.is_locked(), "release_extent_buffer(eb {}) without refs_lock", eb->start);
  FSRACE_WARN_ON(eb->refs == 0, "release_extent_buffer(eb {}) with refs 0", eb->start);
  // atomic_dec_and_test shares the step of the caller's last access (its spin_lock, or releasepage's
  // TREE_REF clear): lock-free readers see the same outcomes before the step or after the decrement.
  if (--eb->refs != 0) {
    eb->refs_lock.spin_unlock();
    return 0;
  }
  // Complete: the buffer and its eb_tree slot, eb_tree_waiters (fp::btree_inode); buffer_lock is its own
  // object; btrfs_release_extent_buffer_pages and free_extent_buffer_memory open their own scopes.
  sched::FootprintScope freeing(ebfp::freeing(fs_info, *eb));
  if (eb->test_and_clear_bit(EXTENT_BUFFER_IN_TREE)) {
    eb->refs_lock.spin_unlock();
    fs_info.buffer_lock.spin_lock();
    auto it = fs_info.eb_tree.find(eb->start >> PAGE_SHIFT);
    FSRACE_MODEL_CHECK(it != fs_info.eb_tree.end() && it->second == eb, "eb {} flagged IN_TREE but not in eb_tree",
                  eb->start);
    fs_info.eb_tree.erase(it);
    fs_info.buffer_lock.spin_unlock();
    fs_info.eb_tree_waiters.wake_all();
  } else {
    eb->refs_lock.spin_unlock();
  }
  // Should be safe to release our pages at this point.
  btrfs_release_extent_buffer_pages(fs_info, *eb);
  free_extent_buffer_memory(fs_info, *eb);
  return 1;
}

void free_extent_buffer(btrfs_fs_info& fs_info, const extent_buffer_ptr& eb) {
  if (!eb) return;
  eb_check_alive(*eb, "free_extent_buffer");
  // The atomic_read / atomic_cmpxchg loop: while more than the last few holders remain, a plain
  // decrement suffices. Read and decrement are one step (a failed cmpxchg just retries).
  sched::point(sched::L("free_extent_buffer(eb {})", eb->start));
  // Complete: the buffer's refs and bflags; release_extent_buffer opens its own scope, refs_lock is its
  // own object.
  sched::FootprintScope scope(ebfp::buffer(eb->start, true));
  const bool unmapped = eb->test_bit(EXTENT_BUFFER_UNMAPPED);
  if ((!unmapped && eb->refs > 3) || (unmapped && eb->refs > 1)) {
    --eb->refs;
    return;
  }
  eb->refs_lock.spin_lock_in_step();
  if (eb->refs == 2 && eb->test_bit(EXTENT_BUFFER_STALE) && !extent_buffer_under_io(*eb) &&
      eb->test_bit(EXTENT_BUFFER_TREE_REF)) {
    // About to drop two references: find_extent_buffer's atomic_inc_not_zero and check_buffer_tree_ref's
    // lock-free test of TREE_REF may come between the read of refs and test_and_clear_bit (they take no
    // refs_lock), so this is a point of its own; the other paths keep one step.
    sched::point(sched::L("free_extent_buffer(eb {}): stale, dropping the tree reference", eb->start));
    if (eb->test_and_clear_bit(EXTENT_BUFFER_TREE_REF)) --eb->refs;
  }
  release_extent_buffer(fs_info, eb);
}

void free_extent_buffer_stale(btrfs_fs_info& fs_info, const extent_buffer_ptr& eb) {
  if (!eb) return;
  eb_check_alive(*eb, "free_extent_buffer_stale");
  eb->refs_lock.spin_lock();
  // Complete: the buffer's refs and bflags; release_extent_buffer opens its own scope.
  sched::FootprintScope scope(ebfp::buffer(eb->start, true));
  eb->set_bit(EXTENT_BUFFER_STALE);
  if (eb->refs == 2 && !extent_buffer_under_io(*eb) && eb->test_and_clear_bit(EXTENT_BUFFER_TREE_REF)) --eb->refs;
  release_extent_buffer(fs_info, eb);
}

}  // namespace fsrace::model
