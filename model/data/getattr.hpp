// stat(2) of a file (inode.c btrfs_getattr): what it reports of the inode's used space.
#pragma once
#include <cstdint>

namespace fsrace::model {

struct btrfs_fs_info;
struct btrfs_inode;

// st_blocks (512-byte units): 6.1 reads inode_get_bytes() and new_delalloc_bytes under inode->lock
// (inode.c:9289-9295) and returns (ALIGN(bytes) + ALIGN(new_delalloc_bytes)) >> 9, aligned to the block
// size. The model has no EXTENT_DELALLOC_NEW: new_delalloc_bytes is 0, so a buffered write into a hole
// counts only once its ordered extent completes (README departures). No scheduling point: one step, as
// the spinlock section.
uint64_t btrfs_getattr_blocks(const btrfs_fs_info& fs_info, const btrfs_inode& inode);

}  // namespace fsrace::model
