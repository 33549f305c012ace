#include "model/data/extent_map.hpp"

#include "model/data/btrfs_inode.hpp"
#include "scheduler/finding.hpp"

namespace fsrace::model {

void btrfs_drop_extent_map_range(btrfs_inode& inode, uint64_t start, uint64_t end) {
  FSRACE_WARN_ON(end < start, "btrfs_drop_extent_map_range ino {} start {} end {} (a 0-byte range)", inode.ino, start,
                 end);
}

void create_io_em(btrfs_inode& inode, uint64_t start, uint64_t len, uint64_t block_start, bool filling) {
  // btrfs_replace_extent_map_range: drop, then add_extent_mapping (u64 arithmetic as the kernel's).
  btrfs_drop_extent_map_range(inode, start, start + len - 1);
  inode.extent_tree[start] = extent_map{start, len, block_start, filling};
}

}  // namespace fsrace::model
