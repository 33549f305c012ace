// Data space reservations of file writes (delalloc-space.c): what a buffered write, fallocate or direct
// IO reserves in the data space_info's bytes_may_use before it has an extent (space_info.hpp), and the
// release on paths that will not allocate. Quota groups are not modelled (btrfs_qgroup_* do nothing).
#pragma once
#include <cstdint>

namespace fsrace::model {

struct btrfs_fs_info;

// btrfs_check_data_free_space: the range widened to whole sectors, reserved with FLUSH_DATA (NO_FLUSH
// when `noflush`). 0 or -ENOSPC.
int btrfs_check_data_free_space(btrfs_fs_info& fs_info, uint64_t start, uint64_t len, bool noflush = false);
// btrfs_alloc_data_chunk_ondemand: `bytes` (sector aligned up) with FLUSH_DATA.
int btrfs_alloc_data_chunk_ondemand(btrfs_fs_info& fs_info, uint64_t bytes);
// btrfs_free_reserved_data_space: gives back the reservation of the range widened to whole sectors.
void btrfs_free_reserved_data_space(btrfs_fs_info& fs_info, uint64_t start, uint64_t len);
// btrfs_free_reserved_data_space_noquota: gives back `len` bytes (sector aligned).
void btrfs_free_reserved_data_space_noquota(btrfs_fs_info& fs_info, uint64_t len);

}  // namespace fsrace::model
