// Helpers for the relocation tests: filesystem inspection outside fibers.
#pragma once
#include <cstdint>
#include <functional>
#include <set>
#include <vector>

#include "model/fs_info.hpp"

namespace fsrace::test {

// Every tree block reachable from `bytenr` in the buffer cache (the tree as the model holds it).
inline void collect_tree_blocks(const model::btrfs_fs_info& fs, uint64_t bytenr, std::set<uint64_t>& out) {
  if (!out.insert(bytenr).second) return;
  const model::tree_block_ptr* p = fs.buffer_radix.find(bytenr);
  if (!p || !*p) return;
  for (const auto& ptr : (*p)->ptrs) collect_tree_blocks(fs, ptr.blockptr, out);
}

// Tree blocks of every root's current and commit root.
inline std::set<uint64_t> all_tree_blocks(const model::btrfs_fs_info& fs) {
  std::set<uint64_t> out;
  for (const auto& [id, root] : fs.roots) {
    collect_tree_blocks(fs, root->node, out);
    collect_tree_blocks(fs, root->commit_root, out);
  }
  return out;
}

inline std::vector<uint64_t> blocks_in(const std::set<uint64_t>& blocks, uint64_t start, uint64_t len) {
  std::vector<uint64_t> in;
  for (uint64_t b : blocks)
    if (b >= start && b < start + len) in.push_back(b);
  return in;
}

// The first block group whose flags contain `type`.
inline model::block_group_ptr first_group_of(const model::btrfs_fs_info& fs, uint64_t type) {
  for (const auto& [start, bg] : fs.block_group_cache_tree)
    if (bg->flags & type) return bg;
  return nullptr;
}

// Every item of a tree (key order), from its current root.
inline void collect_items(const model::btrfs_fs_info& fs, uint64_t bytenr, std::vector<model::btrfs_key>& out) {
  const model::tree_block_ptr* p = fs.buffer_radix.find(bytenr);
  if (!p || !*p) return;
  for (const auto& it : (*p)->items) out.push_back(it.key);
  for (const auto& ptr : (*p)->ptrs) collect_items(fs, ptr.blockptr, out);
}

}  // namespace fsrace::test

namespace fsrace::test {

struct file_extent_ref {
  uint64_t root = 0;
  model::btrfs_key key;
  model::btrfs_file_extent_item fi;
};

// Every regular / prealloc file extent item of every subvolume and snapshot (current roots).
inline std::vector<file_extent_ref> all_file_extents(const model::btrfs_fs_info& fs) {
  std::vector<file_extent_ref> out;
  std::function<void(uint64_t, uint64_t)> walk = [&](uint64_t root, uint64_t bytenr) {
    const model::tree_block_ptr* p = fs.buffer_radix.find(bytenr);
    if (!p || !*p) return;
    for (const auto& it : (*p)->items) {
      if (it.key.type != model::BTRFS_EXTENT_DATA_KEY) continue;
      const auto& fi = std::get<model::btrfs_file_extent_item>(it.value);
      if (fi.type != model::BTRFS_FILE_EXTENT_INLINE && fi.disk_bytenr) out.push_back({root, it.key, fi});
    }
    for (const auto& ptr : (*p)->ptrs) walk(root, ptr.blockptr);
  };
  for (const auto& [id, root] : fs.roots)
    if (root->ref_cows) walk(id, root->node);
  return out;
}

inline size_t file_extents_in(const model::btrfs_fs_info& fs, uint64_t start, uint64_t len) {
  size_t n = 0;
  for (const auto& fe : all_file_extents(fs))
    if (fe.fi.disk_bytenr >= start && fe.fi.disk_bytenr < start + len) ++n;
  return n;
}

}  // namespace fsrace::test
