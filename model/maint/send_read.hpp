// Reading file data from disk for send and its checks: btrfs_map_block to the first usable mirror,
// whole sectors from the device, the requested bytes copied out.
#pragma once
#include <cstdint>
#include <vector>

#include "model/volumes.hpp"

namespace fsrace::model {

struct btrfs_fs_info;

// [logical, logical + len) into out. 0, or the error of btrfs_map_block / the device read. No
// scheduling point (callers label the read).
int send_read_logical(btrfs_fs_info& fs_info, uint64_t logical, uint64_t len, uint8_t* out);

// send_read_logical in its two halves: the btrfs_map_block of the whole sectors holding the range
// (0 without a call for an empty range), then the device reads of those stripes (what follows the
// mapping in send_read_logical, exactly).
int send_map_logical(btrfs_fs_info& fs_info, uint64_t logical, uint64_t len, std::vector<btrfs_bio_stripe>& stripes);
int send_read_mapped(btrfs_fs_info& fs_info, uint64_t logical, uint64_t len, const std::vector<btrfs_bio_stripe>& stripes,
                     uint8_t* out);

}  // namespace fsrace::model
