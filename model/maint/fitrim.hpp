// FITRIM (btrfs_ioctl_fitrim -> btrfs_trim_fs, extent-tree.c and free-space-cache.c of 6.1): the free
// space of every block group, then the unallocated space of every device, is discarded.
#pragma once
#include <cstdint>

namespace fsrace::model {

struct btrfs_fs_info;

// btrfs_trim_fs over [start, U64_MAX) with extents shorter than `minlen` skipped. Each block group is
// frozen while its free extents are taken out of the free space, reserved (unless the group is
// read-only), discarded on every device stripe and put back; then, per device, each hole outside every
// chunk is discarded under chunk_mutex. Returns the last block group error, else the last device error
// (-EINVAL when a group's chunk mapping vanished under the trim). `trimmed` gets the bytes discarded.
int btrfs_trim_fs(btrfs_fs_info& fs_info, uint64_t start, uint64_t minlen, uint64_t* trimmed);

}  // namespace fsrace::model
