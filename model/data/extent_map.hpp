// Extent maps of writes in flight (extent_map.c btrfs_drop_extent_map_range /
// btrfs_replace_extent_map_range, inode.c create_io_em). The model caches only pinned maps (see
// btrfs_inode::extent_tree); committed extents are read from the file extent items every time.
#pragma once
#include <cstdint>

namespace fsrace::model {

struct btrfs_inode;

// btrfs_drop_extent_map_range(inode, start, end, false): `end` inclusive, as the kernel's. WARN_ON(end <
// start) as 6.1's (a 0-byte range gives end = start - 1). The callers hold [start, end] locked with no
// ordered extent in it, so no pinned map of the model overlaps it: there is nothing else to drop.
void btrfs_drop_extent_map_range(btrfs_inode& inode, uint64_t start, uint64_t end);

// create_io_em: the pinned map of [start, start + len) at disk `block_start` (`filling`: a write into a
// prealloc extent, BTRFS_ORDERED_PREALLOC), put in by btrfs_replace_extent_map_range, which first drops
// the maps of that range.
void create_io_em(btrfs_inode& inode, uint64_t start, uint64_t len, uint64_t block_start, bool filling);

}  // namespace fsrace::model
