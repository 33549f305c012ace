// The io tree of an inode (struct extent_io_tree): byte ranges carrying EXTENT_LOCKED (range locks
// taken by writeback, direct IO, reads and ordered extent completion) and EXTENT_DELALLOC (dirty data
// without an extent yet). Ranges are [start, end) here (the kernel's are inclusive).
#pragma once
#include <cstdint>

#include "model/data/range_set.hpp"
#include "scheduler/sync/blocking.hpp"

namespace fsrace::model {

struct btrfs_fs_info;
struct btrfs_inode;

struct extent_io_tree {
  range_set locked;    // EXTENT_LOCKED
  range_set delalloc;  // EXTENT_DELALLOC
  // EXTENT_NORESERVE: delalloc of a nocow buffered write that reserved no data space (btrfs_dirty_pages
  // with noreserve). Cleared with EXTENT_DELALLOC (clear_extent_bit) and by fallback_to_cow.
  range_set noreserve;
  sched::WaitList waiters;  // tasks sleeping in lock_extent_bits
};

// lock_extent: sleeps until no part of [start, end) is locked, then locks it (one step), holding nothing
// while it sleeps (9e769bd7e5db). With that fix off, 6.1.0's loop: what is free below the first locked
// byte (failed_start) is locked and kept while it waits, and the lock goes on from failed_start.
void lock_extent(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end);
// unlock_extent: clears EXTENT_LOCKED on [start, end) and wakes sleepers.
void unlock_extent(btrfs_inode& inode, uint64_t start, uint64_t end);

}  // namespace fsrace::model
