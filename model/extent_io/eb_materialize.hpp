// Tree blocks dirty in the running transaction always have an extent buffer in the kernel. The model's
// tree code keeps their content in fs_info.buffer_radix only; the extent buffer cache creates their
// buffer on first lookup, as it would have been since the block was allocated or COWed.
#pragma once
#include <cstdint>

#include "model/extent_io/extent_buffer.hpp"

namespace fsrace::model {

struct btrfs_fs_info;

// The buffer for `start` when the block is dirty in the running transaction (inserted in eb_tree with
// the tree reference, uptodate, dirty pages), else null. No scheduling point: it was already there.
extent_buffer_ptr materialize_dirty_extent_buffer(btrfs_fs_info& fs_info, uint64_t start);

}  // namespace fsrace::model
