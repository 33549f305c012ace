#include "model/extent_io/tree_block_locator.hpp"

#include <vector>

#include <fmt/format.h>

#include "model/fs_info.hpp"

namespace fsrace::model {
namespace {

tree_block_ptr peek_tree_block(btrfs_fs_info& fs_info, uint64_t bytenr) {
  if (const tree_block_ptr* cached = fs_info.buffer_radix.find(bytenr)) return *cached;
  map_lookup_ptr map = btrfs_get_chunk_map(fs_info, bytenr);
  if (!map || map->stripes.empty()) return nullptr;
  const stripe_piece p = map_stripe_piece(*map, bytenr - map->start, 1);
  btrfs_device* dev = fs_info.device(fs_info.dev(map->stripes[p.index].dev).devid);
  return dev ? dev->bdev.read_tree_block(p.physical) : nullptr;
}

}  // namespace

bool locate_tree_block(btrfs_fs_info& fs_info, uint64_t root_objectid, int level, uint64_t index,
                       located_tree_block* out, std::string* why) {
  auto root_it = fs_info.roots.find(root_objectid);
  if (root_it == fs_info.roots.end()) {
    *why = fmt::format("there is no tree with objectid {}", root_objectid);
    return false;
  }
  const btrfs_root& root = *root_it->second;
  tree_block_ptr top = peek_tree_block(fs_info, root.node);
  if (!top) {
    *why = fmt::format("the root block {} of tree {} cannot be read", root.node, root_objectid);
    return false;
  }
  const int root_level = top->header.level;
  if (level < 0) level = root_level;
  if (level > root_level) {
    *why = fmt::format("tree {} has levels 0 to {}, not {}", root_objectid, root_level, level);
    return false;
  }
  std::vector<located_tree_block> row{{root.node, top->header.generation, root_level}};
  for (int l = root_level; l > level; --l) {  // expand one level down, in key order
    std::vector<located_tree_block> below;
    for (const auto& node : row) {
      tree_block_ptr b = peek_tree_block(fs_info, node.bytenr);
      if (!b) {
        *why = fmt::format("tree block {} of tree {} cannot be read", node.bytenr, root_objectid);
        return false;
      }
      for (const auto& ptr : b->ptrs) below.push_back({ptr.blockptr, ptr.generation, l - 1});
    }
    row = std::move(below);
  }
  if (index >= row.size()) {
    *why = fmt::format("tree {} has {} block(s) at level {}, no index {}", root_objectid, row.size(), level, index);
    return false;
  }
  *out = row[index];
  return true;
}

}  // namespace fsrace::model
