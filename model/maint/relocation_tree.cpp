// relocate_tree_blocks (relocation.c): a tree block of the group being relocated is COWed out of it in
// every tree whose current root reaches it. The kernel builds the backref tree of the block and COWs
// the path to it (do_relocation, through reloc trees for subvolumes and snapshots, merged back with
// replace_path); the model searches each candidate tree for the block and runs a search with COW
// (btrfs_cow_search: btrfs_search_slot with cow = 1, no item changed) for a key that routes through
// it down to the block's level (path->lowest_level, as do_relocation does): should_cow_block COWs every
// block of a read-only group, so the block (and every ancestor of it, in whatever group) moves, in
// read-only snapshots too; nothing below it is touched.
#include <cerrno>
#include <set>
#include <vector>

#include "model/backref.hpp"
#include "model/ctree.hpp"
#include "model/chunk_reserve.hpp"
#include "model/fs_info.hpp"
#include "model/maint/relocation_internal.hpp"
#include "model/transaction.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

tree_block_ptr current_block(btrfs_fs_info& fs_info, uint64_t bytenr, uint64_t gen, int level) {
  int err = 0;
  tree_block_ptr b = read_tree_block(fs_info, bytenr, gen, level, &err);
  FSRACE_BUG_ON(!b, "relocation: current tree block {} unreadable ({})", bytenr, err);
  return b;
}

// The blocks from a root down to the target, and a key whose search takes exactly that path.
struct block_route {
  std::vector<uint64_t> blocks;
  btrfs_key key;
};

// Depth-first search of the subtree at `bytenr` for `target` (at `target_level`); blocks at or below
// that level are not read unless they are the target. `key` is the parent's key for this block (parent
// keys are the first keys of their subtrees, so a search for it routes through this block). The caller
// holds the tree's lock for reading.
bool find_route(btrfs_trans_handle& trans, uint64_t bytenr, uint64_t gen, int level,
                const btrfs_key& key, uint64_t target, int target_level, block_route& route) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  route.blocks.push_back(bytenr);
  if (bytenr == target) {
    route.key = key;
    return true;
  }
  if (level > target_level + 1) {
    tree_block_ptr b = current_block(fs_info, bytenr, gen, level);
    for (const auto& p : b->ptrs)
      if (find_route(trans, p.blockptr, p.generation, level - 1, p.key, target, target_level, route)) return true;
  } else if (level == target_level + 1) {
    // The children are at the target's level: none is read, only compared with the target (what the
    // recursion above does for each of them, without a call per child).
    tree_block_ptr b = current_block(fs_info, bytenr, gen, level);
    for (const auto& p : b->ptrs)
      if (p.blockptr == target) {
        route.blocks.push_back(target);
        route.key = p.key;
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
    const bool found =
        root.level >= level && find_route(trans, root.node, 0, root.level, btrfs_key{}, target, level, route);
    root.lock.up_read();
    if (!found) break;
    reached = true;
    // 2bb2e00ed978: system space for the chunk tree COW is reserved first (btrfs_reserve_chunk_metadata),
    // so the COW never allocates a system chunk with chunk tree blocks locked.
    const bool chunk_tree = root.objectid == BTRFS_CHUNK_TREE_OBJECTID && fs_info.fixes.has("2bb2e00ed978");
    if (chunk_tree) btrfs_reserve_chunk_metadata(trans, false);
    const int ret = btrfs_cow_search(trans, root, route.key, level);
    if (chunk_tree) btrfs_trans_release_chunk_metadata(trans);
    FSRACE_MODEL_CHECK(ret >= 0, "relocation: the COW search through tree block {} of root {} for {} failed ({})", target,
                  root.objectid, to_string(route.key), ret);
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
  // build_backref_tree: the roots that reach the block, through full back references too (commit roots).
  std::vector<uint64_t> candidates;
  for (const auto& ref : ei.inline_refs)
    if (ref.type == BTRFS_TREE_BLOCK_REF_KEY) candidates.push_back(ref.root);
    else if (ref.type == BTRFS_SHARED_BLOCK_REF_KEY)
      for (uint64_t root : btrfs_find_all_roots(fs_info, ref.parent, true)) candidates.push_back(root);
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
