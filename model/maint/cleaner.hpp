// The cleaner kthread's removal of unused block groups (extent-tree.c btrfs_delete_unused_bgs, 4.x),
// and the ways a block group becomes unused: its last extent freed (btrfs_update_block_group), or found
// empty at mount (btrfs_read_block_groups).
#pragma once
#include <cstdint>

namespace fsrace::model {

struct btrfs_fs_info;

// One pass over fs_info->unused_bgs: every group still empty, writable and not the last of its kind is
// set read-only and removed (btrfs_remove_chunk: dev extents, chunk item, block group item, the cache
// entry and the extent map) in a joined transaction, which is ended but not committed.
void btrfs_delete_unused_bgs(btrfs_fs_info& fs_info);

// What btrfs_read_block_groups does at mount: every block group with nothing used goes on
// fs_info->unused_bgs. Returns how many were added.
int btrfs_mark_empty_bgs_unused(btrfs_fs_info& fs_info);

// btrfs_force_chunk_alloc: allocates `count` new chunks of `type` (BTRFS_BLOCK_GROUP_DATA / METADATA /
// SYSTEM; the profile comes from the filesystem's) in one transaction and commits it. 0 or -ENOSPC.
int btrfs_force_chunk_alloc(btrfs_fs_info& fs_info, uint64_t type, int count);

}  // namespace fsrace::model
