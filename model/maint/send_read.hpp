// Reading file data from disk for send and its checks: btrfs_map_block to the first usable mirror,
// whole sectors from the device, the requested bytes copied out.
#pragma once
#include <cstdint>

namespace fsrace::model {

struct btrfs_fs_info;

// [logical, logical + len) into out. 0, or the error of btrfs_map_block / the device read. No
// scheduling point (callers label the read).
int send_read_logical(btrfs_fs_info& fs_info, uint64_t logical, uint64_t len, uint8_t* out);

}  // namespace fsrace::model
