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
// select, from the highest chunk offset down. 0, -EBUSY (another exclusive operation runs: 6.1's
// BTRFS_ERROR_DEV_EXCL_RUN_IN_PROGRESS), -EINPROGRESS (a balance runs or is paused), -EAGAIN
// (9e967495e0e0: sends running), -EINVAL (no type selected; a pause or cancel request pending),
// -ECANCELED (paused or canceled: a paused balance keeps fs_info.balance_ctl and the exclusive
// operation), or the first error of a relocation other than -ENOSPC. Progress is left in
// fs_info.balance_ctl while it runs. With BTRFS_BALANCE_RESUME in bctl.flags it continues the paused
// balance instead (its own filters, bctl's are ignored): -ENOTCONN when none is paused.
int btrfs_balance(btrfs_fs_info& fs_info, const btrfs_balance_control& bctl);

// btrfs_ioctl_balance with BTRFS_BALANCE_RESUME (`btrfs balance resume`).
int btrfs_resume_balance(btrfs_fs_info& fs_info);

// btrfs_ioctl_balance_ctl(BTRFS_BALANCE_CTL_PAUSE) = btrfs_pause_balance: asks the running balance to
// stop before its next chunk and waits until it has. 0, or -ENOTCONN when no balance runs.
int btrfs_pause_balance(btrfs_fs_info& fs_info);

// btrfs_ioctl_balance_ctl(BTRFS_BALANCE_CTL_CANCEL) = btrfs_cancel_balance: a running balance stops at
// its next check (between chunks, or inside relocation) and is torn down by its own thread, which
// this one waits for; a paused one is torn down here. 0, or -ENOTCONN when there is no balance.
int btrfs_cancel_balance(btrfs_fs_info& fs_info);

// btrfs_should_cancel_balance (relocation.c): relocation gives up with -ECANCELED when it is true.
bool btrfs_should_cancel_balance(const btrfs_fs_info& fs_info);

// reset_balance_state: forgets fs_info.balance_ctl (the caller holds balance_mutex). The balance item
// of the root tree that 6.1 deletes here is not modelled (README audit).
void reset_balance_state(btrfs_fs_info& fs_info);

// btrfs_relocate_chunk: relocates the block group of the chunk at chunk_offset and removes the chunk.
// The caller holds fs_info.reclaim_bgs_lock (so the cleaner cannot remove it meanwhile).
// 0, -EAGAIN (1cea5cf0e664: sends running), or the relocation's error.
int btrfs_relocate_chunk(btrfs_fs_info& fs_info, uint64_t chunk_offset);

// Relocates the index-th block group (0-based, in logical order) whose type has `type_flag`
// (BTRFS_BLOCK_GROUP_DATA / METADATA / SYSTEM), as device shrink and removal relocate chunks:
// through btrfs_relocate_chunk, without balance. -ENOENT when there is no such group.
int btrfs_relocate_nth_block_group(btrfs_fs_info& fs_info, uint64_t type_flag, uint64_t index);

}  // namespace fsrace::model
