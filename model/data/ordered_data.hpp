// Ordered extents (fs/btrfs/ordered-data.c): creation, lookup, IO accounting, completion and the
// waits that maintenance uses (btrfs_wait_ordered_roots / btrfs_wait_ordered_extents / _range).
#pragma once
#include <cstdint>

#include "model/data/btrfs_inode.hpp"
#include "model/data/ordered_extent.hpp"

namespace fsrace::model {

struct btrfs_fs_info;

// __btrfs_add_ordered_extent: inserts into the inode's ordered tree and the root's ordered list; the
// root joins fs_info->ordered_roots when it gets its first one. One scheduling point, labelled with the
// caller's name (btrfs_add_ordered_extent / btrfs_add_ordered_extent_dio). `type` is 0 (regular COW),
// BTRFS_ORDERED_NOCOW or BTRFS_ORDERED_PREALLOC. Returns the id.
uint64_t btrfs_add_ordered_extent(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t file_offset, uint64_t start,
                                  uint64_t len, uint64_t disk_len, uint32_t type);
uint64_t btrfs_add_ordered_extent_dio(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t file_offset,
                                      uint64_t start, uint64_t len, uint64_t disk_len, uint32_t type);

btrfs_ordered_extent* btrfs_ordered_extent_by_id(btrfs_fs_info& fs_info, uint64_t id);
// btrfs_lookup_ordered_range: the first ordered extent of the inode overlapping [start, end), with a
// reference taken (drop it with btrfs_put_ordered_extent); 0 if none.
uint64_t btrfs_lookup_ordered_range(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end);
// The ordered extent containing file offset `offset`, or 0 (no reference taken).
uint64_t btrfs_ordered_at(btrfs_fs_info& fs_info, const btrfs_inode& inode, uint64_t offset);
void btrfs_put_ordered_extent(btrfs_fs_info& fs_info, uint64_t id);

// btrfs_dec_test_ordered_pending: `bytes` of IO of the ordered extent completed; true when that was
// the last and the extent is now IO_DONE (the caller then queues btrfs_finish_ordered_io).
bool btrfs_dec_test_ordered_pending(btrfs_fs_info& fs_info, uint64_t id, uint64_t bytes, bool uptodate);
// btrfs_remove_ordered_extent: unlinks it, sets BTRFS_ORDERED_COMPLETE and wakes its waiters.
void btrfs_remove_ordered_extent(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t id);

// btrfs_lock_and_flush_ordered_range: [start, end) of the inode's io tree locked with no ordered extent in
// it; each one found is started and waited for with the range unlocked, then the lock is taken again.
void btrfs_lock_and_flush_ordered_range(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end);

// btrfs_start_ordered_extent: writes out the dirty pages of its range (not for direct IO ones) and,
// if `wait`, sleeps until BTRFS_ORDERED_COMPLETE. The caller holds a reference.
void btrfs_start_ordered_extent(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t id, bool wait);

// btrfs_wait_ordered_extents: waits for up to `nr` ordered extents of `root` whose disk range
// overlaps [range_start, range_start + range_len); returns how many it waited for.
uint64_t btrfs_wait_ordered_extents(btrfs_fs_info& fs_info, uint64_t root, uint64_t nr, uint64_t range_start,
                                    uint64_t range_len);
// btrfs_wait_ordered_roots: the same over every root on fs_info->ordered_roots, under
// ordered_operations_mutex. nr = ~0 for all; range_len = ~0 from range_start on.
uint64_t btrfs_wait_ordered_roots(btrfs_fs_info& fs_info, uint64_t nr, uint64_t range_start, uint64_t range_len);
// btrfs_wait_ordered_range: writes out and waits for every ordered extent of the inode overlapping
// [start, start + len) (len = ~0: to the end of the file). 0 or -EIO when one of them failed.
int btrfs_wait_ordered_range(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t len);

// Queues btrfs_finish_ordered_io for an IO_DONE ordered extent in a new "btrfs-endio-write" worker
// fiber (the kernel's endio_write_workers), or runs it inline outside a scheduler.
void btrfs_queue_finish_ordered_io(btrfs_fs_info& fs_info, uint64_t id);
// btrfs_finish_ordered_io: file extent item, data reference, checksums and inode size in the running
// transaction, then the ordered extent is removed. Runs in the worker.
int btrfs_finish_ordered_io(btrfs_fs_info& fs_info, uint64_t id);

}  // namespace fsrace::model
