// Delalloc accounting (inode.c btrfs_set_extent_delalloc / btrfs_set_bit_hook / btrfs_clear_bit_hook)
// and flushing (btrfs_start_delalloc_roots / btrfs_start_delalloc_inodes).
#pragma once
#include <cstdint>

#include "model/data/btrfs_inode.hpp"

namespace fsrace::model {

struct btrfs_fs_info;

// btrfs_set_extent_delalloc: marks [start, end) EXTENT_DELALLOC; the inode joins its root's
// delalloc_inodes and the root fs_info->delalloc_roots when it gets its first delalloc bytes.
void btrfs_set_extent_delalloc(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end);
// Clears EXTENT_DELALLOC on [start, end), leaving the lists when no delalloc is left.
void btrfs_clear_extent_delalloc(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end);

// btrfs_start_delalloc_inodes: writes out every delalloc inode of `root`; returns how many.
uint64_t btrfs_start_delalloc_inodes(btrfs_fs_info& fs_info, uint64_t root, uint64_t nr);
// btrfs_start_delalloc_roots: the same for every root on fs_info->delalloc_roots (nr = ~0 all), under
// delalloc_root_mutex. Runs the flush in the caller (the kernel's flush workers are waited for).
uint64_t btrfs_start_delalloc_roots(btrfs_fs_info& fs_info, uint64_t nr);

}  // namespace fsrace::model
