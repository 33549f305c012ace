// btrfs_setsize / btrfs_truncate (inode.c): changing a file's size.
#include <algorithm>
#include <cerrno>
#include <vector>

#include "model/data/data_oracle.hpp"
#include "model/data/delalloc.hpp"
#include "model/data/extent_io_tree.hpp"
#include "model/data/file_extent.hpp"
#include "model/data/inode.hpp"
#include "model/data/ordered_data.hpp"
#include "model/data/page_io.hpp"
#include "model/data/page_lock.hpp"
#include "model/fs_info.hpp"
#include "model/transaction.hpp"

namespace fsrace::model {

int btrfs_setsize(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t new_size, std::string_view origin) {
  const uint32_t op = oracle_note_op(fs_info, origin);
  inode.i_rwsem.down_write();
  const uint64_t old_size = inode.i_size;
  int ret = 0;
  if (new_size > old_size) {  // btrfs_cont_expand: the new range reads as a hole (NO_HOLES: no hole items)
    inode.i_size = inode.disk_i_size = new_size;
    auto trans = btrfs_start_transaction(fs_info);
    ret = btrfs_update_inode(trans, inode);
    btrfs_end_transaction(trans);
  } else if (new_size < old_size) {
    // btrfs_truncate_page: zero the rest of the block holding the new end of file.
    const uint64_t block_end = std::min(round_up_page(new_size), old_size);
    if (block_end > new_size) {
      std::vector<uint8_t> zeros(block_end - new_size, 0);
      ret = btrfs_write_pages(fs_info, inode, new_size, zeros, op, false);
    }
    inode.i_size = new_size;  // truncate_setsize
    inode_dio_wait(inode);
    // truncate_pagecache: pages wholly past the new end go, with their delalloc.
    const uint64_t keep_end = round_up_page(new_size);
    auto& pages = inode.mapping.pages;
    if (!pages.empty() && pages.rbegin()->first >= page_index(keep_end)) {
      const uint64_t first = page_index(keep_end), last = pages.rbegin()->first;
      wait_on_page_writeback_range(inode, first, last);
      lock_pages(inode, first, last, "truncate_inode_pages_range(ino {} index {})");
      pages.erase(pages.lower_bound(first), pages.end());
      inode.page_waiters.wake_all();
    }
    btrfs_clear_extent_delalloc(fs_info, inode, keep_end, ~0ull, true);
    // btrfs_truncate
    const int w = btrfs_wait_ordered_range(fs_info, inode, keep_end, ~0ull);
    if (!ret) ret = w;
    auto trans = btrfs_start_transaction(fs_info);
    // 28553fa992cb: the range from the new size's sector on is locked while the items go (the kernel also
    // drops its extent maps there; the model caches none past the ordered extents waited for above).
    const bool lock_range = fs_info.fixes.has("28553fa992cb");
    const uint64_t lock_start = round_down_page(new_size);
    if (lock_range) lock_extent(fs_info, inode, lock_start, ~0ull);
    const int t = btrfs_truncate_inode_items(trans, inode, new_size, BTRFS_EXTENT_DATA_KEY);
    if (!ret) ret = t;
    inode.disk_i_size = std::min(inode.disk_i_size, new_size);
    if (lock_range) unlock_extent(inode, lock_start, ~0ull);
    const int u = btrfs_update_inode(trans, inode);
    if (!ret) ret = u;
    btrfs_end_transaction(trans);
  }
  if (new_size != old_size) oracle_set_size(fs_info, inode, new_size, op);
  inode.i_rwsem.up_write();
  return ret;
}

}  // namespace fsrace::model
