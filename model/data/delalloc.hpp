// Delalloc accounting (inode.c btrfs_set_extent_delalloc / btrfs_set_bit_hook / btrfs_clear_bit_hook)
// and flushing (btrfs_start_delalloc_roots / btrfs_start_delalloc_inodes).
#pragma once
#include <cstdint>

#include "model/data/btrfs_inode.hpp"

namespace fsrace::model {

struct btrfs_fs_info;

// btrfs_set_extent_delalloc: marks [start, end) EXTENT_DELALLOC; the inode joins its root's
// delalloc_inodes and the root fs_info->delalloc_roots when it gets its first delalloc bytes.
// `noreserve` also sets EXTENT_NORESERVE (a nocow write without a data reservation).
void btrfs_set_extent_delalloc(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end,
                               bool noreserve = false);
// Clears EXTENT_DELALLOC (and with it EXTENT_NORESERVE) on [start, end), leaving the lists when no delalloc
// is left. `clear_data_resv` (EXTENT_CLEAR_DATA_RESV) gives back the data reservation of the delalloc
// bytes that were not EXTENT_NORESERVE (btrfs_clear_delalloc_extent).
void btrfs_clear_extent_delalloc(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end,
                                 bool clear_data_resv);
// Bytes of [start, end) that are both EXTENT_DELALLOC and EXTENT_NORESERVE.
uint64_t delalloc_noreserve_bytes(const btrfs_inode& inode, uint64_t start, uint64_t end);

// btrfs_start_delalloc_inodes: writes out every delalloc inode of `root`; returns how many.
uint64_t btrfs_start_delalloc_inodes(btrfs_fs_info& fs_info, uint64_t root, uint64_t nr);
// btrfs_start_delalloc_roots: the same for every root on fs_info->delalloc_roots (nr = ~0 all), under
// delalloc_root_mutex. Runs the flush in the caller (the kernel's flush workers are waited for).
uint64_t btrfs_start_delalloc_roots(btrfs_fs_info& fs_info, uint64_t nr);

}  // namespace fsrace::model
