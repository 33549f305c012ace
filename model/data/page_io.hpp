// Internal helpers shared by the data paths that move data between the page cache and the file
// (not for other modules).
#pragma once
#include <cstdint>
#include <span>

#include "model/block_group.hpp"
#include "model/data/btrfs_inode.hpp"

namespace fsrace::model {

struct btrfs_fs_info;

// Reads every page of [first, last] that is not uptodate (the caller holds the page locks), after
// waiting for ordered extents in the range (btrfs_lock_and_flush_ordered_range). Pages past i_size
// read as zeros. 0 or -EIO.
int btrfs_readpages_locked(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t first, uint64_t last);
// __btrfs_buffered_write without i_rwsem (the caller holds it): copies `data` to the file at `pos`
// through the page cache, marks it delalloc and records it in the oracle as operation `op`.
// extend: grow i_size to pos + size (truncate's zeroing of a partial page does not).
int btrfs_write_pages(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t pos, std::span<const uint8_t> data,
                      uint32_t op, bool extend);
// invalidate_inode_pages2_range: drops the clean, unlocked-after-locking pages of [start, end) (pages
// dirty or under writeback stay).
void invalidate_inode_pages_range(btrfs_inode& inode, uint64_t start, uint64_t end);
// inode_dio_wait: sleeps until no direct IO runs on the inode.
void inode_dio_wait(btrfs_inode& inode);
// btrfs_reserve_extent for data with the kernel's retry on -ENOSPC at smaller sizes (down to one
// sector). delalloc: counted in bg->reservations until the caller's ordered extent exists.
int btrfs_reserve_data_extent(btrfs_fs_info& fs_info, uint64_t want, btrfs_key_ins& ins, bool delalloc);

}  // namespace fsrace::model
