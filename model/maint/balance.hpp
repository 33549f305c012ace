// Balance (fs/btrfs/volumes.c btrfs_balance / __btrfs_balance / should_balance_chunk /
// btrfs_relocate_chunk, ioctl.c btrfs_ioctl_balance) and the send/relocation exclusion as its fixes
// changed it:
//   9e967495e0e0 (5.3)  btrfs_balance refuses with -EAGAIN while fs_info->send_in_progress (under
//                       balance_mutex); send refuses while BTRFS_FS_BALANCE_RUNNING.
//   1cea5cf0e664 (5.14) the check moves to btrfs_relocate_chunk (every relocation: balance, shrink,
//                       device remove), under fs_info->send_reloc_lock, which also sets
//                       BTRFS_FS_RELOC_RUNNING for send to check.
//   d96b34248c2f (5.17) no exclusion: relocation commits record fs_info->last_reloc_trans and send
//                       restarts its search when it changes.
// Balance always takes BTRFS_FS_EXCL_OP (-EBUSY when another exclusive operation runs); the review
// alternative "excl_op" makes send take it too (that is send's side).
#pragma once
#include <cstdint>

#include "model/maint/balance_state.hpp"

namespace fsrace::model {

struct btrfs_fs_info;

// btrfs_ioctl_balance + btrfs_balance: relocates every chunk the control's type flags and filters
// select, from the highest chunk offset down. 0, -EBUSY (exclusive operation running), -EAGAIN
// (9e967495e0e0: sends running), -EINVAL (no type selected), or the first error of a relocation
// other than -ENOSPC. Progress is left in fs_info.balance_ctl while it runs.
int btrfs_balance(btrfs_fs_info& fs_info, const btrfs_balance_control& bctl);

// btrfs_relocate_chunk: relocates the block group of the chunk at chunk_offset and removes the chunk.
// The caller holds fs_info.reclaim_bgs_lock (so the cleaner cannot remove it meanwhile).
// 0, -EAGAIN (1cea5cf0e664: sends running), or the relocation's error.
int btrfs_relocate_chunk(btrfs_fs_info& fs_info, uint64_t chunk_offset);

// Relocates the index-th block group (0-based, in logical order) whose type has `type_flag`
// (BTRFS_BLOCK_GROUP_DATA / METADATA / SYSTEM), as device shrink and removal relocate chunks:
// through btrfs_relocate_chunk, without balance. -ENOENT when there is no such group.
int btrfs_relocate_nth_block_group(btrfs_fs_info& fs_info, uint64_t type_flag, uint64_t index);

}  // namespace fsrace::model
