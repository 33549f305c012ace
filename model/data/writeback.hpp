// Writeback of dirty pages (extent_io.c extent_writepages / extent_write_cache_pages /
// __extent_writepage / writepage_delalloc, inode.c run_delalloc_range / cow_file_range /
// run_delalloc_nocow) and its bio completion (end_bio_extent_writepage ->
// btrfs_writepage_end_io_hook -> btrfs_dec_test_ordered_pending -> finish_ordered_io worker).
#pragma once
#include <cstdint>

#include "model/data/btrfs_inode.hpp"

namespace fsrace::model {

struct btrfs_fs_info;

enum class wb_sync_mode { none, all };  // WB_SYNC_NONE (flush: skip pages under writeback) / WB_SYNC_ALL

// extent_writepages over the pages of [start, end) (end = ~0: whole file). Returns 0 or -errno.
int extent_writepages(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end, wb_sync_mode mode);
// btrfs_fdatawrite_range: starts writeback of [start, end) (filemap_fdatawrite_range).
int btrfs_fdatawrite_range(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end);
// filemap_fdatawait_range: waits for writeback of the pages of [start, end) to end.
void filemap_fdatawait_range(btrfs_inode& inode, uint64_t start, uint64_t end);
// filemap_write_and_wait_range.
int filemap_write_and_wait_range(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end);

// run_delalloc_range: gives [start, end) (delalloc, pages and range locked by the caller) its disk
// extents and ordered extents: run_delalloc_nocow for nodatacow and prealloc inodes, else
// cow_file_range. Returns 0 or -errno (-ENOSPC).
int run_delalloc_range(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end);
int cow_file_range(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end);
// fallback_to_cow (run_delalloc_nocow's ranges that must be COWed): with 467dc47ea99c the EXTENT_NORESERVE
// bytes of the range are added to bytes_may_use first (their allocation takes them off again).
int fallback_to_cow(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end);
// run_delalloc_nocow (run_delalloc_nocow.cpp): walks the file extent items of [start, end) by path and
// slot, writing in place what can_nocow_file_extent allows and COWing the rest. `force`: NODATACOW inode.
int run_delalloc_nocow(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end, bool force);
// extent_clear_unlock_delalloc for a range that got its ordered extent: EXTENT_DELALLOC goes (pages
// stay locked: the writeback caller unlocks them once they are under writeback).
// `clear_data_resv`: EXTENT_CLEAR_DATA_RESV, passed by the nocow path (no extent was allocated, so the
// reservation is given back); cow_file_range's reservation became its extent in btrfs_add_reserved_bytes.
void clear_delalloc_after_ordered(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end,
                                  bool clear_data_resv);
// Error path of writeback (extent_clear_unlock_delalloc with PAGE_CLEAR_DIRTY | PAGE_SET_WRITEBACK |
// PAGE_END_WRITEBACK): the dirty data of the range is dropped, as the kernel drops it on -ENOSPC.
// EXTENT_CLEAR_DATA_RESV: the reservation of the range that got no extent is given back.
void fail_delalloc_range(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end, int err);

}  // namespace fsrace::model
