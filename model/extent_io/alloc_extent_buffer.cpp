// alloc_extent_buffer (fs/btrfs/extent_io.c): find the cached buffer, or build a new one from the
// btree inode's pages (locked while it is assembled, so releasepage cannot free them half-attached),
// insert it in the radix tree and give it the tree reference.
#include <cerrno>

#include <fmt/format.h>

#include "model/extent_io/eb_footprints.hpp"
#include "model/extent_io/eb_internal.hpp"
#include "model/extent_io/extent_io.hpp"
#include "model/fs_info.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

extent_buffer_ptr alloc_new_extent_buffer(btrfs_fs_info& fs_info, uint64_t start) {  // __alloc_extent_buffer
  // Complete: the allocator (next_eb_id: fp::btree_inode) and the new buffer's allocated_ebs entry.
  sched::FootprintScope scope(ebfp::buffer(start, true).writes_to(fp::btree_inode()));
  auto eb = std::make_shared<extent_buffer>();
  eb->id = fs_info.next_eb_id++;
  eb->start = start;
  eb->len = fs_info.nodesize;
  eb->refs = 1;
  fs_info.allocated_ebs.emplace(eb->id, eb);
  return eb;
}

// The free_eb exit: drop our (only) reference, unlock the pages we hold, free the new buffer.
extent_buffer_ptr discard_new_extent_buffer(btrfs_fs_info& fs_info, const extent_buffer_ptr& eb,
                                            extent_buffer_ptr exists) {
  // Complete: the new buffer, the pages it holds (unlocked; released by btrfs_release_extent_buffer_pages,
  // own scope), the allocator's books (free_extent_buffer_memory, own scope).
  sched::FootprintScope scope(ebfp::freeing(fs_info, *eb));
  FSRACE_WARN_ON(--eb->refs != 0, "discarded new extent buffer {} still has {} references", eb->start, eb->refs);
  for (uint64_t index : eb->pages) unlock_page(btree_page_at(fs_info, index));
  btrfs_release_extent_buffer_pages(fs_info, *eb);
  free_extent_buffer_memory(fs_info, *eb);
  return exists;
}

}  // namespace

extent_buffer_ptr alloc_extent_buffer(btrfs_fs_info& fs_info, uint64_t start, int* err) {
  *err = 0;
  if (start % fs_info.sectorsize != 0) {
    sched::FootprintScope scope(sched::declared().writes_to(fp::kernel_log()));  // complete: the log line
    fs_info.log(fmt::format("BTRFS error: bad tree block start {}", start));
    *err = -EINVAL;
    return nullptr;
  }
  if (auto eb = find_extent_buffer(fs_info, start)) return eb;

  // Complete: the new buffer (its refs, bflags, pages[], eb_tree slot), the pages of its range (private,
  // flags, PG_locked: find_or_create_page, get_page, put_page, unlock_page, btree_page_at and
  // eb_from_page_private open their own scopes), eb_tree_waiters (fp::btree_inode); an older buffer found
  // attached to a page is claimed below; the spinlocks are their own objects. find_extent_buffer,
  // check_buffer_tree_ref and mark_extent_buffer_accessed open their own scopes.
  sched::Footprint claim = ebfp::buffer_and_pages(fs_info, start, true);
  claim.writes_to(fp::btree_inode());
  sched::FootprintScope scope(claim);
  extent_buffer_ptr eb = alloc_new_extent_buffer(fs_info, start);
  const uint64_t first = start >> PAGE_SHIFT, num_pages = fs_info.nodesize >> PAGE_SHIFT;
  bool uptodate = true;
  for (uint64_t index = first; index < first + num_pages; ++index) {
    btree_page_ptr p = find_or_create_page(fs_info, index);
    fs_info.btree_private_lock.spin_lock_in_step();  // we hold the page lock: nobody else can look at it
    if (p->private_eb != 0) {
      // A buffer is already attached: if it is still alive, it is ours to return.
      extent_buffer_ptr exists = eb_from_page_private(fs_info, *p);
      // This scope's claim and the older buffer's refs (the reference taken).
      sched::FootprintScope older(sched::Footprint(claim).writes_to(fp::extent_buffer(exists->start)));
      if (exists->refs > 0) {  // atomic_inc_not_zero
        ++exists->refs;
        fs_info.btree_private_lock.spin_unlock();
        unlock_page(*p);
        put_page(*p);
        mark_extent_buffer_accessed(fs_info, *exists);
        return discard_new_extent_buffer(fs_info, eb, exists);
      }
      // A dying buffer: take over the page, dropping the reference its private held.
      p->private_eb = 0;
      FSRACE_WARN_ON(p->dirty, "btree page {} of dying extent buffer {} is dirty", p->index, exists->start);
      put_page(*p);
    }
    p->private_eb = eb->id;  // attach_extent_buffer_page
    get_page(*p);
    fs_info.btree_private_lock.spin_unlock();
    FSRACE_WARN_ON(p->dirty, "new extent buffer {} gets dirty btree page {}", start, p->index);
    eb->pages.push_back(index);  // keeps the reference find_or_create_page gave us
    if (!p->uptodate) uptodate = false;
    // The pages stay locked until the buffer is in the radix tree: btree_releasepage must not free a
    // page of a buffer that is only half built.
  }
  if (uptodate) eb->set_bit(EXTENT_BUFFER_UPTODATE);

  for (;;) {  // "goto again": bounded by the scheduler's step limit
    fs_info.buffer_lock.spin_lock();  // radix_tree_insert under buffer_lock
    auto [slot, inserted] = fs_info.eb_tree.emplace(start >> PAGE_SHIFT, eb);
    fs_info.buffer_lock.spin_unlock();
    if (inserted) break;
    if (auto exists = find_extent_buffer(fs_info, start)) return discard_new_extent_buffer(fs_info, eb, exists);
    // -EEXIST but the buffer there is dying: the kernel spins until its owner deletes it from the
    // tree. Sleep until a slot is emptied instead, so the search never sees a livelock that the
    // kernel's fair CPUs would not have.
    if (fs_info.eb_tree.contains(start >> PAGE_SHIFT)) fs_info.eb_tree_waiters.block(sched::L("radix_tree_insert(eb_tree {}) -EEXIST", start));
  }
  check_buffer_tree_ref(fs_info, *eb);  // add one reference for the tree
  eb->set_bit(EXTENT_BUFFER_IN_TREE);

  // Now it's safe to unlock the pages: btree_releasepage sees a live buffer and will not free them.
  for (uint64_t index : eb->pages) unlock_page(btree_page_at(fs_info, index));
  return eb;
}

}  // namespace fsrace::model
