// Finding a tree block by its place in a tree, for operations that name "the n-th block at level L of
// tree T" instead of a bytenr that changes with every mkfs layout. Reads contents without scheduling
// points (fs_info.buffer_radix, else the first mirror on disk): it chooses the operation's target, it is
// not a kernel step.
#pragma once
#include <cstdint>
#include <string>

namespace fsrace::model {

struct btrfs_fs_info;

struct located_tree_block {
  uint64_t bytenr = 0;
  uint64_t generation = 0;  // the generation its parent pointer expects (its own header's for a root)
  int level = 0;
};

// The `index`-th block (0-based, in key order) at `level` of the current root of tree `root_objectid`;
// level -1 means the root block itself. False with a message naming what is missing.
bool locate_tree_block(btrfs_fs_info& fs_info, uint64_t root_objectid, int level, uint64_t index,
                       located_tree_block* out, std::string* why);

}  // namespace fsrace::model
