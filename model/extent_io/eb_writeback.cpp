// Writeback of dirty extent buffers at commit (extent_io.c): btree_write_cache_pages picks each dirty
// buffer, lock_extent_buffer_for_io turns DIRTY into WRITEBACK and locks its pages, write_one_eb sets
// io_pages, moves each page from dirty to writeback and submits the bio, and
// end_bio_extent_buffer_writepage (in the bio's completion fiber) ends page writeback and, with the
// last page, clears WRITEBACK and wakes waiters. While WRITEBACK is set the buffer is under IO:
// releasepage refuses it and freeing it is a BUG.
#include <fmt/format.h>

#include "model/bio.hpp"
#include "model/extent_io/eb_internal.hpp"
#include "model/extent_io/extent_io.hpp"
#include "model/fs_info.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

// end_extent_buffer_writeback: clear_bit(WRITEBACK) then wake_up_bit.
void end_extent_buffer_writeback(extent_buffer& eb) {
  eb.clear_bit(EXTENT_BUFFER_WRITEBACK);
  eb.writeback_waiters.wake_all();
}

void end_bio_extent_buffer_writepage(btrfs_fs_info& fs_info, btrfs_bio& bio, const std::vector<uint64_t>& pages) {
  for (uint64_t index : pages) {
    // Pages under writeback cannot leave the page cache, nor their buffer be freed.
    btree_page& p = btree_page_at(fs_info, index);
    FSRACE_BUG_ON(!p.writeback, "btree page {} completes a write it was not under", index);
    extent_buffer_ptr eb = eb_from_page_private(fs_info, p);
    sched::point(sched::L("end_bio_extent_buffer_writepage(eb {} page {})", eb->start, index));
    eb_check_alive(*eb, "end_bio_extent_buffer_writepage");
    const bool done = --eb->io_pages == 0;  // atomic_dec_and_test(&eb->io_pages)
    if (bio.status != 0) {
      p.uptodate = false;
      p.error = true;
      eb->set_bit(EXTENT_BUFFER_WRITE_ERR);
    }
    p.writeback = false;  // end_page_writeback
    if (done) end_extent_buffer_writeback(*eb);
  }
}

}  // namespace

extent_buffer_ptr btree_write_extent_buffer(btrfs_fs_info& fs_info, uint64_t bytenr, const tree_block_ptr& block) {
  auto it = fs_info.eb_tree.find(bytenr >> PAGE_SHIFT);
  if (it == fs_info.eb_tree.end() || it->second->start != bytenr) return nullptr;
  extent_buffer_ptr eb = it->second;
  // lock_extent_buffer_for_io: a buffer still under an earlier write is waited for first.
  wait_on_extent_buffer_writeback(fs_info, *eb);
  eb->refs_lock.spin_lock();
  const bool was_dirty = eb->test_and_clear_bit(EXTENT_BUFFER_DIRTY);
  if (was_dirty) eb->set_bit(EXTENT_BUFFER_WRITEBACK);
  eb->refs_lock.spin_unlock();
  if (!was_dirty) return nullptr;
  for (uint64_t index : eb->pages) lock_page(btree_page_at(fs_info, index));

  // write_one_eb: the buffer's content is the block image being written (csummed by the caller).
  eb->clear_bit(EXTENT_BUFFER_WRITE_ERR);
  eb->block = block;
  eb->io_pages = eb->num_extent_pages();
  for (uint64_t index : eb->pages) {
    btree_page& p = btree_page_at(fs_info, index);
    p.dirty = false;  // clear_page_dirty_for_io
    p.writeback = true;  // set_page_writeback
  }
  auto bio = std::make_shared<btrfs_bio>();
  bio->op = map_op::write;
  bio->logical = bytenr;
  bio->len = eb->len;
  bio->block = block;
  bio->what = "write_one_eb";
  btrfs_fs_info* fs = &fs_info;
  std::vector<uint64_t> pages = eb->pages;
  bio->end_io = [fs, pages](btrfs_bio& b) { end_bio_extent_buffer_writepage(*fs, b, pages); };
  btrfs_submit_bio(fs_info, bio);
  for (uint64_t index : eb->pages) unlock_page(btree_page_at(fs_info, index));
  return eb;
}

void wait_on_extent_buffer_writeback(btrfs_fs_info& fs_info, extent_buffer& eb) {
  for (;;) {  // bounded by the scheduler's step limit
    if (!eb.test_bit(EXTENT_BUFFER_WRITEBACK)) return;
    eb.writeback_waiters.block(sched::L("wait_on_extent_buffer_writeback(eb {})", eb.start));
  }
}

}  // namespace fsrace::model
