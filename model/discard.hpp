// Discard (extent-tree.c btrfs_discard_extent, btrfs_issue_discard): a logical range mapped through its
// chunk and discarded on every stripe's device range, which then reads zeros. Used by FITRIM and, with
// mount -o discard (DISCARD_SYNC), by btrfs_finish_extent_commit for what the transaction unpinned and
// for the block groups the cleaner removed (trans->transaction->deleted_bgs).
#pragma once
#include <cstdint>

namespace fsrace::model {

struct btrfs_fs_info;

// Mount options (fs_info->mount_opt, ctree.h BTRFS_MOUNT_*): only those the model acts on.
enum : uint64_t {
  BTRFS_MOUNT_FLUSHONCOMMIT = 1ull << 7,  // -o flushoncommit (model/transaction.cpp)
  BTRFS_MOUNT_DISCARD_SYNC = 1ull << 10,  // -o discard, -o discard=sync
};
bool btrfs_test_opt_discard_sync(const btrfs_fs_info& fs_info);
bool btrfs_test_opt_flushoncommit(const btrfs_fs_info& fs_info);

// btrfs_discard_extent: btrfs_map_discard of [bytenr, bytenr + num_bytes) through the chunk mapping, then a
// discard (one step each: blkdev_issue_discard waits) on every stripe's device range; a missing device is
// skipped. -EINVAL when no chunk maps the range any more. `actual_bytes` gets the bytes discarded.
int btrfs_discard_extent(btrfs_fs_info& fs_info, uint64_t bytenr, uint64_t num_bytes, uint64_t* actual_bytes);

// btrfs_issue_discard of one device range (fitrim's unallocated space). A missing device is skipped.
int btrfs_issue_discard(btrfs_fs_info& fs_info, uint64_t devid, uint64_t start, uint64_t len, uint64_t* discarded);

}  // namespace fsrace::model
