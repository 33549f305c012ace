// Who references an extent (backref.c: find_parent_nodes, btrfs_find_all_roots), as far as the model
// needs it: the extent tree's back references, with full back references (SHARED_BLOCK_REF,
// SHARED_DATA_REF: by a parent tree block) followed up to the roots that reach that block. The kernel
// also merges the running transaction's delayed refs and reads blocks as of a tree mod log sequence;
// the model reads the extent tree's current or commit root only (README: departures).
#pragma once
#include <cstdint>
#include <vector>

#include "model/items.hpp"

namespace fsrace::model {

struct btrfs_fs_info;

// File extent items referencing a data extent, by (root, inode, file offset - extent offset).
struct data_ref_owner {
  uint64_t root = 0, ino = 0, offset = 0;
  auto operator<=>(const data_ref_owner&) const = default;
};

// The roots whose trees reach tree block `bytenr` through its back references, ascending. With
// `commit_root` the extent tree's commit root is read (send), else its current root (relocation); the
// walk yields where its searches read blocks.
std::vector<uint64_t> btrfs_find_all_roots(btrfs_fs_info& fs_info, uint64_t bytenr, bool commit_root);
// The owners of data extent `bytenr` whose extent item is `ei`, ascending, each once.
std::vector<data_ref_owner> btrfs_data_ref_owners(btrfs_fs_info& fs_info, uint64_t bytenr, const btrfs_extent_item& ei,
                                                  bool commit_root);

}  // namespace fsrace::model
