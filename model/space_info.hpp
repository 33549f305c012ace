// Data space reservation of the data space_info (space-info.c / space-info.h): bytes_may_use, the bytes
// promised to writers that have no extent yet. Taken by btrfs_reserve_data_bytes (buffered writes,
// fallocate, direct IO, relocation's prealloc), moved to bytes_reserved by btrfs_add_reserved_bytes when
// the allocator hands out a data extent, given back by btrfs_space_info_free_bytes_may_use.
// Metadata reservations (block_rsv, the metadata space_info's bytes_may_use) are not modelled: 0.
#pragma once
#include <cstdint>

namespace fsrace::model {

struct btrfs_fs_info;
struct btrfs_space_info;

enum class btrfs_reserve_flush { no_flush, flush_data };  // BTRFS_RESERVE_NO_FLUSH / BTRFS_RESERVE_FLUSH_DATA

// btrfs_space_info_update_bytes_may_use (DECLARE_SPACE_INFO_UPDATE), under space_info->lock in the
// caller's step: a decrement below 0 is the kernel's WARN_ON(1) (a finding), after which it is set to 0.
// `caller` names the kernel function that asked, for the report.
void btrfs_space_info_update_bytes_may_use(btrfs_fs_info& fs_info, btrfs_space_info& sinfo, int64_t bytes,
                                           const char* caller);
// btrfs_space_info_free_bytes_may_use (no tickets are modelled, so nothing is granted).
void btrfs_space_info_free_bytes_may_use(btrfs_fs_info& fs_info, btrfs_space_info& sinfo, uint64_t bytes,
                                         const char* caller);
// btrfs_reserve_data_bytes -> __reserve_bytes on the data space_info: granted at once when
// btrfs_space_info_used (bytes_may_use included) + bytes fits in total_bytes (data never overcommits).
// Otherwise -ENOSPC with NO_FLUSH; with FLUSH_DATA the caller runs what btrfs_async_reclaim_data_space
// would (ALLOC_CHUNK_FORCE until the space is full, then COMMIT_TRANS and ALLOC_CHUNK_FORCE of
// data_flush_states once; FLUSH_DELALLOC_FULL and RUN_DELAYED_IPUTS are not modelled) and retries after
// each; -ENOSPC when none made room.
int btrfs_reserve_data_bytes(btrfs_fs_info& fs_info, uint64_t bytes, btrfs_reserve_flush flush);
// fs_info->data_sinfo.
btrfs_space_info& btrfs_data_sinfo(btrfs_fs_info& fs_info);

}  // namespace fsrace::model
