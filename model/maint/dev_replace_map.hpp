// Hook from btrfs_map_block into device replace: a write below dev_replace->cursor_left that goes to
// the source device is duplicated to the target device. Owned by the maintenance engineers.
#pragma once
#include <cstdint>
#include <vector>

#include "model/volumes.hpp"

namespace fsrace::model {

void btrfs_dev_replace_dup_stripes(btrfs_fs_info& fs_info, map_op op, uint64_t logical,
                                   std::vector<btrfs_bio_stripe>& stripes);

}  // namespace fsrace::model
