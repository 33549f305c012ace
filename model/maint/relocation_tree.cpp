// relocate_tree_blocks (relocation.c): a tree block of the group being relocated is COWed out of it in
// every tree whose current root reaches it. The kernel builds the backref tree of the block and COWs
// the path to it (do_relocation, through reloc trees for subvolumes and snapshots, merged back with
// replace_path); the model searches each candidate tree for the block and runs a search with COW down
// through it: should_cow_block COWs every block of a read-only group, so the block (and any ancestor
// of it in the group) moves, in read-only snapshots too.
//
// ctree.hpp has no search-with-COW entry point, so the search is btrfs_delete_item of a key that no
// item can have (the next key type no tree uses) chosen to route through the block: it COWs the whole
// path to the leaf and returns -ENOENT without changing an item.
#include <algorithm>
#include <array>
#include <cerrno>
#include <optional>
#include <set>
#include <vector>

#include "model/ctree.hpp"
#include "model/fs_info.hpp"
#include "model/maint/relocation_internal.hpp"
#include "model/transaction.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

// Every item type some tree of the model uses (key.hpp); any other type number never appears in a key.
constexpr std::array<uint8_t, 19> kUsedKeyTypes{
    BTRFS_INODE_ITEM_KEY,       BTRFS_INODE_REF_KEY,      BTRFS_DIR_ITEM_KEY,         BTRFS_DIR_INDEX_KEY,
    BTRFS_EXTENT_DATA_KEY,      BTRFS_EXTENT_CSUM_KEY,    BTRFS_ROOT_ITEM_KEY,        BTRFS_ROOT_BACKREF_KEY,
    BTRFS_ROOT_REF_KEY,         BTRFS_EXTENT_ITEM_KEY,    BTRFS_METADATA_ITEM_KEY,    BTRFS_TREE_BLOCK_REF_KEY,
    BTRFS_EXTENT_DATA_REF_KEY,  BTRFS_SHARED_BLOCK_REF_KEY, BTRFS_SHARED_DATA_REF_KEY, BTRFS_BLOCK_GROUP_ITEM_KEY,
    BTRFS_DEV_EXTENT_KEY,       BTRFS_DEV_ITEM_KEY,       BTRFS_CHUNK_ITEM_KEY};

bool key_type_used(unsigned type) {
  return std::find(kUsedKeyTypes.begin(), kUsedKeyTypes.end(), type) != kUsedKeyTypes.end();
}

// The smallest key after k that no item can have: same objectid, the next unused key type, offset 0.
btrfs_key key_gap_after(const btrfs_key& k) {
  for (unsigned t = k.type + 1u; t <= 0xff; ++t)
    if (!key_type_used(t)) return {k.objectid, uint8_t(t), 0};
  return {k.objectid + 1, 0, 0};  // type 0 is unused too
}

tree_block_ptr current_block(btrfs_fs_info& fs_info, uint64_t bytenr, uint64_t gen, int level) {
  int err = 0;
  tree_block_ptr b = read_tree_block(fs_info, bytenr, gen, level, &err);
  FSRACE_BUG_ON(!b, "relocation: current tree block {} unreadable ({})", bytenr, err);
  return b;
}

// The blocks from a root down to a leaf, and a key no item has whose search takes exactly that path.
struct block_route {
  std::vector<uint64_t> blocks;
  btrfs_key key;
};

// From `b` down its leftmost children to a leaf, then a gap between two keys of that leaf (or between
// its last key and `upper`, the first key right of b's subtree; none: the end of the tree).
bool route_below(btrfs_fs_info& fs_info, tree_block_ptr b, std::optional<btrfs_key> upper, block_route& route) {
  for (int depth = 0; depth < BTRFS_MAX_LEVEL; ++depth) {
    if (b->is_leaf()) {
      if (b->items.empty()) {  // an empty root leaf: every search ends here
        route.key = {0, 0, 0};
        return true;
      }
      for (size_t i = 0; i < b->items.size(); ++i) {
        const btrfs_key gap = key_gap_after(b->items[i].key);
        const std::optional<btrfs_key> next = i + 1 < b->items.size() ? std::optional(b->items[i + 1].key) : upper;
        if (!next || gap < *next) {
          route.key = gap;
          return true;
        }
      }
      return false;
    }
    if (b->ptrs.size() > 1) upper = b->ptrs[1].key;
    const btrfs_key_ptr& p = b->ptrs[0];
    route.blocks.push_back(p.blockptr);
    b = current_block(fs_info, p.blockptr, p.generation, b->header.level - 1);
  }
  return false;
}

// Depth-first search of the subtree at `bytenr` for `target` (at `target_level`); blocks at or below
// that level are not read unless they are the target. The caller holds the tree's lock for reading.
bool find_route(btrfs_fs_info& fs_info, uint64_t bytenr, uint64_t gen, int level, uint64_t target, int target_level,
                std::optional<btrfs_key> upper, block_route& route) {
  route.blocks.push_back(bytenr);
  if (bytenr == target || level > target_level) {
    tree_block_ptr b = current_block(fs_info, bytenr, gen, level);
    if (bytenr == target) {
      FSRACE_ASSERT(route_below(fs_info, b, upper, route), "relocation: no free key below tree block {}", target);
      return true;
    }
    for (size_t i = 0; i < b->ptrs.size(); ++i) {
      const auto next = i + 1 < b->ptrs.size() ? std::optional(b->ptrs[i + 1].key) : upper;
      if (find_route(fs_info, b->ptrs[i].blockptr, b->ptrs[i].generation, level - 1, target, target_level, next, route))
        return true;
    }
  }
  route.blocks.pop_back();
  return false;
}

// do_relocation in one tree: COWs the path down to `target` while the tree's current root reaches it.
// Returns whether it did.
bool relocate_in_root(btrfs_trans_handle& trans, reloc_control& rc, btrfs_root& root, uint64_t target, int level) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  bool reached = false;
  for (int attempt = 0; attempt < 4; ++attempt) {  // a concurrent split can send one search elsewhere
    block_route route;
    root.lock.down_read();
    const bool found = root.level >= level &&
                       find_route(fs_info, root.node, 0, root.level, target, level, std::nullopt, route);
    root.lock.up_read();
    if (!found) break;
    reached = true;
    const int ret = btrfs_delete_item(trans, root, route.key);
    FSRACE_ASSERT(ret == -ENOENT, "relocation: the COW search through tree block {} of root {} found an item at {} ({})",
                  target, root.objectid, to_string(route.key), ret);
    for (uint64_t b : route.blocks)
      if (reloc_in_group(rc, b)) rc.processed_blocks.insert(b);
    fs_info.reloc_stats.tree_blocks_relocated++;
  }
  return reached;
}

}  // namespace

int relocate_tree_block(btrfs_trans_handle& trans, reloc_control& rc, uint64_t bytenr, int level,
                        const btrfs_extent_item& ei) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  sched::point(sched::L("relocate_tree_blocks(bytenr {} level {})", bytenr, uint64_t(level)));
  std::vector<uint64_t> candidates;
  for (const auto& ref : ei.inline_refs)
    if (ref.type == BTRFS_TREE_BLOCK_REF_KEY) candidates.push_back(ref.root);
  if (const tree_block_ptr* p = fs_info.buffer_radix.find(bytenr); p && *p && (*p)->header.bytenr == bytenr)
    candidates.push_back((*p)->header.owner);
  std::set<uint64_t> tried;
  bool reached = false;
  for (uint64_t id : candidates) {
    if (!tried.insert(id).second) continue;
    auto it = fs_info.roots.find(id);
    if (it != fs_info.roots.end()) reached |= relocate_in_root(trans, rc, *it->second, bytenr, level);
  }
  if (!reached) {
    // Objectids in order; roots created meanwhile (std::map insertion) do not disturb the walk.
    for (auto it = fs_info.roots.begin(); it != fs_info.roots.end(); ++it)
      if (tried.insert(it->first).second) relocate_in_root(trans, rc, *it->second, bytenr, level);
  }
  rc.processed_blocks.insert(bytenr);
  return 0;
}

}  // namespace fsrace::model
