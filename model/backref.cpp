#include "model/backref.hpp"

#include <algorithm>
#include <optional>

#include "model/ctree.hpp"
#include "model/fs_info.hpp"
#include "model/tree_footprints.hpp"
#include "scheduler/scheduler.hpp"
#include "scheduler/finding.hpp"

namespace fsrace::model {
namespace {

// Bounds the walk up: a parent is one level above its child.
constexpr int kMaxBackrefDepth = BTRFS_MAX_LEVEL;

// The extent item of `bytenr`, from the extent tree's current root or its commit root (a reader's search:
// it yields at each block it reads, as btrfs_search_slot with search_commit_root does).
std::optional<btrfs_extent_item> extent_item_of(btrfs_fs_info& fs_info, uint64_t bytenr, bool commit_root) {
  // Complete: reads the extent tree (current or commit root) and cached blocks (tree_read_claim).
  sched::FootprintScope scope(tree_read_claim());
  btrfs_root& extent_root = fs_info.extent_root();
  btrfs_path path(commit_root, true);
  if (btrfs_search_slot(fs_info, extent_root, {bytenr, BTRFS_EXTENT_ITEM_KEY, 0}, path) < 0) return std::nullopt;
  const tree_block* leaf = btrfs_path_block(fs_info, path, 0);
  if (!leaf || path.slots[0] >= int(leaf->nritems())) {
    if (btrfs_next_leaf(fs_info, extent_root, path) != 0) return std::nullopt;
    leaf = btrfs_path_block(fs_info, path, 0);
  }
  const btrfs_item& it = leaf->items[size_t(path.slots[0])];
  if (it.key.objectid != bytenr || (it.key.type != BTRFS_EXTENT_ITEM_KEY && it.key.type != BTRFS_METADATA_ITEM_KEY))
    return std::nullopt;
  return std::get<btrfs_extent_item>(it.value);
}

void add_roots(btrfs_fs_info& fs_info, const btrfs_extent_item& ei, bool commit_root, int depth,
               std::vector<uint64_t>& out);

void add_roots_of_block(btrfs_fs_info& fs_info, uint64_t bytenr, bool commit_root, int depth,
                        std::vector<uint64_t>& out) {
  FSRACE_MODEL_CHECK(depth < kMaxBackrefDepth, "back references of tree block {} deeper than {} levels", bytenr,
                     kMaxBackrefDepth);
  // A parent freed meanwhile references nothing any more (find_parent_nodes finds no item either).
  if (auto ei = extent_item_of(fs_info, bytenr, commit_root)) add_roots(fs_info, *ei, commit_root, depth + 1, out);
}

void add_roots(btrfs_fs_info& fs_info, const btrfs_extent_item& ei, bool commit_root, int depth,
               std::vector<uint64_t>& out) {
  for (const auto& ref : ei.inline_refs) {
    if (ref.type == BTRFS_TREE_BLOCK_REF_KEY) out.push_back(ref.root);
    else if (ref.type == BTRFS_SHARED_BLOCK_REF_KEY) add_roots_of_block(fs_info, ref.parent, commit_root, depth, out);
  }
}

void sort_unique(auto& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

std::vector<uint64_t> btrfs_find_all_roots(btrfs_fs_info& fs_info, uint64_t bytenr, bool commit_root) {
  // Complete: the extent tree walk up the back references only reads (tree_read_claim).
  sched::FootprintScope scope(tree_read_claim());
  std::vector<uint64_t> roots;
  add_roots_of_block(fs_info, bytenr, commit_root, 0, roots);
  sort_unique(roots);
  return roots;
}

std::vector<data_ref_owner> btrfs_data_ref_owners(btrfs_fs_info& fs_info, uint64_t bytenr, const btrfs_extent_item& ei,
                                                  bool commit_root) {
  // Complete: reads the referencing leaves and the extent tree (tree_read_claim); ei is the caller's copy.
  sched::FootprintScope scope(tree_read_claim());
  std::vector<data_ref_owner> owners;
  for (const auto& ref : ei.inline_refs) {
    if (ref.type == BTRFS_EXTENT_DATA_REF_KEY) {
      owners.push_back({ref.root, ref.objectid, ref.offset});
      continue;
    }
    if (ref.type != BTRFS_SHARED_DATA_REF_KEY) continue;
    // The leaf's file extent items that point at the extent, in every root that reaches the leaf.
    int err = 0;
    tree_block_ptr leaf = read_tree_block(fs_info, ref.parent, 0, 0, &err);
    FSRACE_BUG_ON(!leaf, "find_parent_nodes: leaf {} of a shared data reference to {} unreadable ({})", ref.parent,
                  bytenr, err);
    const std::vector<uint64_t> roots = btrfs_find_all_roots(fs_info, ref.parent, commit_root);
    for (const auto& it : leaf->items) {
      if (it.key.type != BTRFS_EXTENT_DATA_KEY) continue;
      const auto& fe = std::get<btrfs_file_extent_item>(it.value);
      if (fe.type == BTRFS_FILE_EXTENT_INLINE || fe.disk_bytenr != bytenr) continue;
      for (uint64_t root : roots) owners.push_back({root, it.key.objectid, it.key.offset - fe.offset});
    }
  }
  sort_unique(owners);
  return owners;
}

}  // namespace fsrace::model
