// The pages of an extent buffer: detaching them when the buffer is freed, and the uptodate state
// shared by the buffer and its pages (fs/btrfs/extent_io.c).
#include <fmt/format.h>

#include "model/extent_io/eb_footprints.hpp"
#include "model/extent_io/eb_internal.hpp"
#include "model/fs_info.hpp"
#include "scheduler/finding.hpp"

namespace fsrace::model {

void btrfs_release_extent_buffer_pages(btrfs_fs_info& fs_info, extent_buffer& eb) {
  // Complete: the buffer's flags and io_pages (read), its pages' private, flags and refcount (written);
  // private_lock is its own object, btree_page_at and put_page open their own scopes.
  sched::Footprint claim = ebfp::buffer(eb.start, false);
  for (uint64_t index : eb.pages) ebfp::page(claim, index, true);
  sched::FootprintScope scope(claim);
  FSRACE_BUG_ON(extent_buffer_under_io(eb), "extent buffer {} freed while under IO (io_pages {}, bflags {})",
                eb.start, eb.io_pages, describe_bflags(eb.bflags));
  for (uint64_t index : eb.pages) {
    btree_page& p = btree_page_at(fs_info, index);  // our reference keeps it in the page cache
    fs_info.btree_private_lock.spin_lock();
    // The page may already belong to a newer buffer of the same range: only detach our own.
    if (p.private_eb == eb.id) {
      FSRACE_BUG_ON(eb.test_bit(EXTENT_BUFFER_DIRTY), "freeing dirty extent buffer {}", eb.start);
      FSRACE_BUG_ON(p.dirty || p.writeback, "freeing extent buffer {} with btree page {} dirty or under writeback",
                    eb.start, p.index);
      p.private_eb = 0;
      put_page(p);  // one for the page private
    }
    fs_info.btree_private_lock.spin_unlock();
    put_page(p);  // one for when we allocated the page
  }
}

void free_extent_buffer_memory(btrfs_fs_info& fs_info, extent_buffer& eb) {
  // Complete: the buffer and its allocated_ebs entry, freed_ebs (fp::btree_inode).
  sched::FootprintScope scope(ebfp::buffer(eb.start, true).writes_to(fp::btree_inode()));
  eb.freed = true;
  fs_info.allocated_ebs.erase(eb.id);
  ++fs_info.freed_ebs;
}

// Complete (both): the buffer's UPTODATE and its pages' PG_uptodate.
static sched::Footprint uptodate_claim(const extent_buffer& eb) {
  sched::Footprint claim = ebfp::buffer(eb.start, true);
  for (uint64_t index : eb.pages) ebfp::page(claim, index, true);
  return claim;
}

void set_extent_buffer_uptodate(btrfs_fs_info& fs_info, extent_buffer& eb) {
  sched::FootprintScope scope(uptodate_claim(eb));
  eb.set_bit(EXTENT_BUFFER_UPTODATE);
  for (uint64_t index : eb.pages) btree_page_at(fs_info, index).uptodate = true;
}

void clear_extent_buffer_uptodate(btrfs_fs_info& fs_info, extent_buffer& eb) {
  sched::FootprintScope scope(uptodate_claim(eb));
  eb.clear_bit(EXTENT_BUFFER_UPTODATE);
  for (uint64_t index : eb.pages) btree_page_at(fs_info, index).uptodate = false;
}

}  // namespace fsrace::model
