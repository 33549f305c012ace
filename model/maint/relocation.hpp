// Block group relocation (fs/btrfs/relocation.c of the 4.7 era): every extent of a block group moves
// out of it, so that the group can be removed. The group is set read-only; writers that got space in
// it before that are waited for (what exactly depends on fixes 9cfa3e34e20e, f78c436c3931,
// 578def7c50f2); then relocate_block_group runs in passes, each starting with a commit and scanning
// the extent tree's commit root:
//   - tree blocks are COWed out of the group in every tree that points at them (read-only snapshots
//     included: should_cow_block COWs any block of a read-only group);
//   - MOVE_DATA_EXTENTS: data extents are read into the data reloc inode's pages and written to new
//     extents outside the group (btrfs_wait_ordered_range of the reloc inode);
//   - UPDATE_DATA_PTRS: the file extent items of every file referencing a moved extent are repointed
//     to its new location (references moved with delayed refs).
// At the end the group must be empty: WARN_ON(used / reserved / pinned > 0) as in the kernel.
#pragma once
#include <cstdint>

namespace fsrace::model {

struct btrfs_fs_info;

// btrfs_relocate_block_group: 0 or a negative errno (-ENOENT no such group, -ENOSPC when it cannot be
// made read-only, -EIO from reads). Leaves the group read-only (the caller removes the chunk) on
// success; makes it writable again on failure.
int btrfs_relocate_block_group(btrfs_fs_info& fs_info, uint64_t group_start);

}  // namespace fsrace::model
