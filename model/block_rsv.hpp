// Block reserves (block-rsv.c), as far as the model keeps them: the chunk block reserve
// (fs_info->chunk_block_rsv), which holds system space promised to chunk tree updates. Other reserves
// (global, delayed refs, transaction) are not modelled: the metadata space_info's bytes_may_use stays 0.
#pragma once
#include <cstdint>

namespace fsrace::model {

struct btrfs_fs_info;

struct btrfs_block_rsv {
  uint64_t space_info_flags = 0;  // block_rsv->space_info: the space info whose bytes_may_use backs it
  uint64_t size = 0;              // what its holders asked for
  uint64_t reserved = 0;          // what it holds in bytes_may_use (<= size)
};

// btrfs_block_rsv_add(..., BTRFS_RESERVE_NO_FLUSH): btrfs_reserve_metadata_bytes grants `bytes` when the space
// info's used bytes (bytes_may_use included) plus `bytes` fit in its total or it may overcommit
// (btrfs_can_overcommit); bytes_may_use grows, and so do the reserve's size and reserved. -ENOSPC otherwise.
int btrfs_block_rsv_add(btrfs_fs_info& fs_info, btrfs_block_rsv& rsv, uint64_t bytes);
// btrfs_block_rsv_release: the size shrinks by `bytes`; what is reserved beyond the new size goes back to
// the space info's bytes_may_use.
void btrfs_block_rsv_release(btrfs_fs_info& fs_info, btrfs_block_rsv& rsv, uint64_t bytes);
// btrfs_use_block_rsv for one tree block: taken from the reserve (btrfs_block_rsv_use_bytes), else a NO_FLUSH
// reservation of its own (btrfs_reserve_metadata_bytes). Either way bytes_may_use holds `blocksize` for the
// allocation to take off (btrfs_add_reserved_bytes). -ENOSPC when neither has room (no global reserve).
int btrfs_use_block_rsv(btrfs_fs_info& fs_info, btrfs_block_rsv& rsv, uint64_t blocksize);

}  // namespace fsrace::model
