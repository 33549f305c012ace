// Copy-on-write B-trees (fs/btrfs/ctree.c): roots with a current root and a commit root, paths,
// search / insert / delete with btrfs_cow_block, and commit-root walks that take no locks and yield
// at every block they read.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <string>

#include "model/items.hpp"
#include "model/key.hpp"
#include "model/tree_block.hpp"
#include "scheduler/sync/rw_semaphore.hpp"

namespace fsrace::model {

struct btrfs_fs_info;
struct btrfs_trans_handle;

constexpr int BTRFS_MAX_LEVEL = 8;

struct btrfs_root {
  uint64_t objectid = 0;
  btrfs_root_item root_item;      // the item in the root tree (updated at commit for dirty roots)
  uint64_t node = 0;              // bytenr of the current root block (root->node)
  uint8_t level = 0;
  uint64_t commit_root = 0;       // bytenr of the root block as of the last commit (root->commit_root)
  uint64_t commit_root_gen = 0;
  uint8_t commit_root_level = 0;
  uint64_t last_trans = 0;        // transid that last changed this root
  bool ref_cows = false;          // fs trees (subvolumes, snapshots): blocks may be shared
  bool dirty = false;             // changed in the running transaction: root item written at commit
  // BTRFS_ROOT_FORCE_COW: a snapshot was taken of this root in the running transaction, whose blocks
  // are now shared with it: COW them even if this transaction allocated them (until commit_fs_roots).
  bool force_cow = false;
  // Writers of this tree serialise on it (the kernel locks each block top-down; one lock per tree is a
  // documented coarsening: no seed race needs finer writer grain). Commit-root readers take no lock.
  sched::RwSemaphore lock{"btrfs_root->node lock"};

  bool is_readonly() const { return root_item.flags & BTRFS_ROOT_SUBVOL_RDONLY; }
};

struct btrfs_path {
  // nodes[i] holds the bytenr of the block at level i. The content is looked up in the buffer cache
  // at each access, like the kernel's extent buffer pointers: if the block is freed and its bytenr
  // reused while a reader holds the path, the reader sees the new content.
  std::array<uint64_t, BTRFS_MAX_LEVEL> nodes{};
  std::array<int, BTRFS_MAX_LEVEL> slots{};
  std::array<uint64_t, BTRFS_MAX_LEVEL> gens{};  // generation expected by the parent pointer
  bool search_commit_root = false;
  bool skip_locking = false;
  int lowest_level = 0;
  int top_level = -1;

  void release() { *this = btrfs_path{search_commit_root, skip_locking}; }
  btrfs_path() = default;
  btrfs_path(bool commit_root, bool skip) : search_commit_root(commit_root), skip_locking(skip) {}
};

// The block cached at `bytenr` (what the path points to), verified against nothing.
const tree_block* btrfs_path_block(btrfs_fs_info& fs_info, const btrfs_path& path, int level);

// read_tree_block: the block at `bytenr` from the buffer cache or, if not cached, from a mirror
// (btrfs_map_block). Verifies bytenr, level and generation like btree_read_extent_buffer_pages /
// verify_parent_transid; on mismatch logs "parent transid verify failed on X wanted G found F"
// (or the bytenr/level error) and returns null with *err = -EIO.
tree_block_ptr read_tree_block(btrfs_fs_info& fs_info, uint64_t bytenr, uint64_t parent_transid, int level,
                               int* err);

// btrfs_search_slot for readers (ins_len 0, cow 0): the current root, or the commit root when
// path.search_commit_root (yielding at every block read, no locks). Writers use the item functions
// below, which search with COW under the tree lock. Returns 0 found, 1 not found (slot = insertion
// point), <0 error (-EIO from read_tree_block verification).
int btrfs_search_slot(btrfs_fs_info& fs_info, btrfs_root& root, const btrfs_key& key, btrfs_path& path);
// read_node_slot: the child at `slot` of the node the path holds at `level` (> 0), re-reading the
// parent's current content as the kernel does through its extent buffer. BUG when that block is now
// a leaf (the kernel's BUG_ON(level == 0) in read_node_slot). Null with *err on verification failure.
tree_block_ptr read_node_slot(btrfs_fs_info& fs_info, btrfs_path& path, int level, int slot, int* err);
// Moves to the first item of the next leaf (btrfs_next_leaf re-searches from the root with the last
// key of the current leaf, so commit-root walkers pick up a newer commit root); 0 ok, 1 end, <0 error.
// yield_unlocked: a reader of the current root whose tree locks the kernel drops here
// (btrfs_release_path) yields between reading the last key and searching again, and takes the item
// after that key even when writers put it into the same leaf meanwhile. Readers that run no writer
// in between pass false (no scheduling point: the model's current-root readers take no locks).
int btrfs_next_leaf(btrfs_fs_info& fs_info, btrfs_root& root, btrfs_path& path, bool yield_unlocked = false);
// Moves to the next item (btrfs_next_item); 0 ok, 1 end, <0 error.
int btrfs_next_item(btrfs_fs_info& fs_info, btrfs_root& root, btrfs_path& path);
// The item at path.slots[0] of the leaf at path.nodes[0].
const btrfs_item& btrfs_path_item(btrfs_fs_info& fs_info, const btrfs_path& path);

int btrfs_insert_item(btrfs_trans_handle& trans, btrfs_root& root, const btrfs_key& key, item_value value);
// Replaces the value of an existing item (the size may change). -ENOENT if absent.
int btrfs_update_item(btrfs_trans_handle& trans, btrfs_root& root, const btrfs_key& key, item_value value);
// The same, with the value made once the search reached the leaf (after its scheduling points), as
// kernel code that fills an item from live state while it holds the leaf (btrfs_update_device).
int btrfs_update_item_at_leaf(btrfs_trans_handle& trans, btrfs_root& root, const btrfs_key& key,
                              const std::function<item_value()>& value);
// Deletes the item with exactly this key. -ENOENT if absent.
int btrfs_delete_item(btrfs_trans_handle& trans, btrfs_root& root, const btrfs_key& key);
// btrfs_search_slot(trans, root, key, path, 0, 1) with path->lowest_level: COWs every block on the
// path a search for `key` takes down to `lowest_level` (should_cow_block decides, so blocks of read-only
// groups move) without changing an item. Relocation uses it to move tree blocks. 0 if the search
// reached a leaf holding the key, 1 if not (always 1 when it stopped above the leaves).
int btrfs_cow_search(btrfs_trans_handle& trans, btrfs_root& root, const btrfs_key& key, int lowest_level = 0);

// Lookup in the current root without COW; copies the value out. -ENOENT when absent.
int btrfs_lookup_item(btrfs_fs_info& fs_info, btrfs_root& root, const btrfs_key& key, item_value* out);
// Visits items with key >= from in key order over the current root (no scheduling points: callers
// hold the tree lock or accept a one-step view). Stop by returning false.
void btrfs_for_each_item(btrfs_fs_info& fs_info, btrfs_root& root, const btrfs_key& from,
                         const std::function<bool(const btrfs_item&)>& fn);

// The leaves btrfs_for_each_item reads, in the same order and through the same block reads:
// fn(leaf, slot of the first item with key >= from). Stop by returning false.
void btrfs_for_each_leaf(btrfs_fs_info& fs_info, btrfs_root& root, const btrfs_key& from,
                         const std::function<bool(const tree_block_ptr&, int)>& fn);

// Creates an empty tree (btrfs_create_tree): a new leaf owned by `objectid`.
btrfs_root& btrfs_create_tree(btrfs_trans_handle& trans, uint64_t objectid);
// btrfs_alloc_tree_block / btrfs_free_tree_block.
uint64_t btrfs_alloc_tree_block(btrfs_trans_handle& trans, btrfs_root& root, int level);
// last_ref: no other tree uses the block (update_ref_for_cow), so a block of this transaction is
// never written.
void btrfs_free_tree_block(btrfs_trans_handle& trans, btrfs_root& root, uint64_t bytenr, int level, bool last_ref);
// btrfs_cow_block of the root node (the caller holds root.lock, no scheduling point): snapshot
// creation COWs the source's root node before copying it.
void btrfs_cow_root_node(btrfs_trans_handle& trans, btrfs_root& root);
// btrfs_copy_root: a copy of root's root node owned by new_root_objectid, taking a reference on
// every child (btrfs_inc_ref). Returns the copy's bytenr. Snapshot creation uses it.
uint64_t btrfs_copy_root(btrfs_trans_handle& trans, btrfs_root& root, uint64_t new_root_objectid);

}  // namespace fsrace::model
