// Page reclaim of the btree inode: shrink_page_list's steps for one page (mm/vmscan.c), the btree
// inode's releasepage (disk-io.c) and try_release_extent_buffer (extent_io.c). The reclaimer holds the
// page lock throughout, as the kernel's shrink path does.
#include "model/extent_io/eb_footprints.hpp"
#include "model/extent_io/eb_internal.hpp"
#include "model/extent_io/extent_io.hpp"
#include "model/fs_info.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {

int try_release_extent_buffer(btrfs_fs_info& fs_info, btree_page& p) {
  // Complete for the code run while it is innermost: page private and the buffer it names (its refs and
  // flags: one of the buffers covering the page), read; TREE_REF's clear in the nested scope below;
  // the spinlocks are their own objects; eb_from_page_private and release_extent_buffer open their own.
  sched::FootprintScope scope(ebfp::page_and_owners(fs_info, p.index, false, false));
  // Nobody may attach this page to a buffer while we look at it. private_lock is taken in the step of
  // the caller's trylock_page: page private is only changed under it (see spinlock.hpp).
  fs_info.btree_private_lock.spin_lock_in_step();
  if (p.private_eb == 0) {
    fs_info.btree_private_lock.spin_unlock();
    return 1;
  }
  extent_buffer_ptr eb = eb_from_page_private(fs_info, p);
  // The buffer must not disappear while we look at it: take its refs_lock. refs is read in the same
  // step, a step of its own: holders drop references and find_extent_buffer takes them without
  // refs_lock, before it or right after it.
  eb->refs_lock.spin_lock();
  if (eb->refs != 1 || extent_buffer_under_io(*eb)) {
    eb->refs_lock.spin_unlock();
    fs_info.btree_private_lock.spin_unlock();
    return 0;
  }
  fs_info.btree_private_lock.spin_unlock();
  // If the tree reference is not set, the one reference is a real holder's: leave it.
  sched::point(sched::L("try_release_extent_buffer(eb {}) test_and_clear_bit TREE_REF", eb->start));
  sched::FootprintScope write(ebfp::buffer(eb->start, true));  // complete: TREE_REF
  if (!eb->test_and_clear_bit(EXTENT_BUFFER_TREE_REF)) {
    eb->refs_lock.spin_unlock();
    return 0;
  }
  return release_extent_buffer(fs_info, eb);
}

int btree_releasepage(btrfs_fs_info& fs_info, btree_page& p) {
  sched::Footprint claim = sched::declared();
  sched::FootprintScope scope(ebfp::page(claim, p.index, false));  // complete: the page's flags
  if (p.writeback || p.dirty) return 0;
  return try_release_extent_buffer(fs_info, p);
}

int shrink_btree_page(btrfs_fs_info& fs_info, uint64_t index) {
  // Complete for the code run while it is innermost: the page's flags, private and refcount, read; the
  // removal from the page cache in the nested scope below; find_get_page, trylock_page, unlock_page,
  // put_page and btree_releasepage open their own scopes. The page pointer is ours. Opened after
  // find_get_page, so that it stays out of the step before find_get_page's point (nothing shared runs
  // before it).
  // isolate_lru_page: the reclaimer's reference.
  btree_page_ptr p = find_get_page(fs_info, index);
  if (!p) return 0;
  sched::Footprint claim = sched::declared();
  sched::FootprintScope scope(ebfp::page(claim, index, false));
  int freed = 0;
  if (trylock_page(*p)) {
    // try_to_release_page for pages with private, then __remove_mapping: the page leaves the cache only
    // when nobody but the cache and us references it (page_ref_freeze).
    if (!p->dirty && !p->writeback && (p->private_eb == 0 || btree_releasepage(fs_info, *p))) {
      sched::point(sched::L("__remove_mapping(btree page {})", index));
      sched::Footprint remove = sched::declared();
      sched::FootprintScope write(ebfp::page(remove, index, true));  // complete: its slot, mapping, refcount
      if (p->private_eb == 0 && p->refcount == 2) {
        fs_info.btree_pages.erase(index);
        p->mapped = false;
        put_page(*p);  // the cache's reference
        freed = 1;
      }
    }
    unlock_page(*p);
  }
  put_page(*p);
  return freed;
}

}  // namespace fsrace::model
