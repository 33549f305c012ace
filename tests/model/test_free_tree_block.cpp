// btrfs_free_tree_block as 6.1: a block its own transaction allocated, whose addition is still a pending
// delayed ref, goes back to the free space at once (check_ref_cleanup); other freed blocks are pinned
// until the commit. And the extent buffer of an emptied leaf (btrfs_del_leaf) is freed STALE.
#include <catch2/catch.hpp>

#include <cerrno>

#include "model/delayed_ref.hpp"
#include "model/extent_io/extent_io.hpp"
#include "model/fsck.hpp"
#include "model/fs_info.hpp"
#include "model/transaction.hpp"
#include "tests/model/model_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using fsrace::test::make_fs;
using fsrace::test::run_in_fiber;

namespace {

btrfs_inode_item inode_with_size(uint64_t size) {
  btrfs_inode_item it;
  it.size = size;
  return it;
}

bool is_free_space(btrfs_fs_info& fs, uint64_t bytenr) {
  block_group_ptr bg = btrfs_lookup_block_group(fs, bytenr);
  if (!bg) return false;
  auto it = bg->free_space.upper_bound(bytenr);
  if (it == bg->free_space.begin()) return false;
  --it;
  return bytenr + fs.nodesize <= it->first + it->second;
}

// The leaf holding `objectid`'s inode item in the current fs tree.
uint64_t leaf_of(btrfs_fs_info& fs, btrfs_root& root, uint64_t objectid) {
  btrfs_path p(false, true);
  REQUIRE(btrfs_search_slot(fs, root, {objectid, BTRFS_INODE_ITEM_KEY, 0}, p) == 0);
  return p.nodes[0];
}

// Inserts keys [first, last] in the running transaction: enough (with 4 KiB nodes) to split leaves, so
// the keys at the end sit in leaves this transaction allocated.
void insert_range(btrfs_trans_handle& trans, btrfs_root& root, uint64_t first, uint64_t last) {
  for (uint64_t k = first; k <= last; ++k)
    REQUIRE(btrfs_insert_item(trans, root, {k, BTRFS_INODE_ITEM_KEY, 0}, inode_with_size(k)) == 0);
}

// Deletes from `last` down until the leaf holding `last` was freed; returns that leaf.
uint64_t empty_last_leaf(btrfs_fs_info& fs, btrfs_trans_handle& trans, btrfs_root& root, uint64_t first,
                         uint64_t last) {
  const uint64_t leaf = leaf_of(fs, root, last);
  for (uint64_t k = last; k >= first; --k) {
    REQUIRE(btrfs_delete_item(trans, root, {k, BTRFS_INODE_ITEM_KEY, 0}) == 0);
    btrfs_path p(false, true);
    const int ret = btrfs_search_slot(fs, root, {k - 1, BTRFS_INODE_ITEM_KEY, 0}, p);
    if (ret == 0 && p.nodes[0] != leaf) break;
  }
  return leaf;
}

mkfs_options small_nodes() {
  mkfs_options o;
  o.device_sizes = {1ull << 30};
  o.nodesize = 4096;
  return o;
}

// A 1 GiB filesystem with 4 KiB nodes: `body(fs, fs tree)` runs in a fiber, and the trees check clean after.
template <class Body>
void on_small_fs(Body body) {
  auto fs = make_fs(small_nodes());
  btrfs_root& root = *fs->roots.at(BTRFS_FS_TREE_OBJECTID);
  run_in_fiber([&] { body(*fs, root); });
  CHECK(btrfs_check(*fs, fsck_scope::trees).empty());
}

}  // namespace

TEST_CASE("free_tree_block: a leaf allocated and emptied in one transaction is free space at once",
          "[model][free_tree_block]") {
  on_small_fs([](btrfs_fs_info& fs, btrfs_root& root) {
    auto trans = btrfs_start_transaction(fs);
    insert_range(trans, root, 1000, 1400);
    const uint64_t leaf = leaf_of(fs, root, 1400);
    REQUIRE((*fs.buffer_radix.find(leaf))->header.generation == trans.transid);
    REQUIRE(trans.transaction->delayed_refs.heads.contains(leaf));  // its addition is pending
    REQUIRE_FALSE(is_free_space(fs, leaf));
    btrfs_space_info& meta = btrfs_find_space_info(fs, BTRFS_BLOCK_GROUP_METADATA);
    const uint64_t reserved = meta.bytes_reserved, pinned = meta.bytes_pinned;
    CHECK(empty_last_leaf(fs, trans, root, 1000, 1400) == leaf);
    // check_ref_cleanup removed the head (addition and drop merged away), and the reservation is given
    // back: no pinning, the block is allocatable in this very transaction.
    CHECK_FALSE(trans.transaction->delayed_refs.heads.contains(leaf));
    CHECK(is_free_space(fs, leaf));
    CHECK(meta.bytes_pinned == pinned);
    CHECK(meta.bytes_reserved <= reserved - fs.nodesize);
    CHECK_FALSE(fs.dirty_tree_blocks.contains(leaf));
    // Its extent buffer went the btrfs_del_leaf way: STALE, both references dropped, out of the cache.
    CHECK(cached_extent_buffer(fs, leaf) == nullptr);
    // The next tree block allocated in this transaction (a split of the fs tree's last leaf) is the
    // freed leaf: first fit, below every block allocated after it.
    bool reused = false;
    for (uint64_t k = 5000; k < 5400 && !reused; ++k) {
      insert_range(trans, root, k, k);
      reused = leaf_of(fs, root, k) == leaf;
    }
    CHECK(reused);
    btrfs_end_transaction(trans);
    REQUIRE(btrfs_commit_current(fs) == 0);
  });
}

TEST_CASE("free_tree_block: a block whose delayed refs already ran is pinned until the commit",
          "[model][free_tree_block]") {
  on_small_fs([](btrfs_fs_info& fs, btrfs_root& root) {
    auto trans = btrfs_start_transaction(fs);
    insert_range(trans, root, 1000, 1400);
    const uint64_t leaf = leaf_of(fs, root, 1400);
    // The extent item of the leaf is inserted now: its drop must run too, and pins the block.
    REQUIRE(btrfs_run_delayed_refs(trans) == 0);
    REQUIRE_FALSE(trans.transaction->delayed_refs.heads.contains(leaf));
    btrfs_space_info& meta = btrfs_find_space_info(fs, BTRFS_BLOCK_GROUP_METADATA);
    CHECK(empty_last_leaf(fs, trans, root, 1000, 1400) == leaf);
    REQUIRE(trans.transaction->delayed_refs.heads.contains(leaf));
    CHECK(trans.transaction->delayed_refs.heads.at(leaf).ref_mod == -1);
    CHECK_FALSE(is_free_space(fs, leaf));
    const uint64_t pinned = meta.bytes_pinned;
    btrfs_end_transaction(trans);
    REQUIRE(btrfs_commit_current(fs) == 0);
    CHECK(is_free_space(fs, leaf));  // unpinned by the commit
    CHECK(meta.bytes_pinned <= pinned);
  });
}

TEST_CASE("free_tree_block: a block of an earlier transaction is pinned until the commit",
          "[model][free_tree_block]") {
  on_small_fs([](btrfs_fs_info& fs, btrfs_root& root) {
    auto trans = btrfs_start_transaction(fs);
    insert_range(trans, root, 1000, 1400);
    btrfs_end_transaction(trans);
    REQUIRE(btrfs_commit_current(fs) == 0);
    const uint64_t old_leaf = leaf_of(fs, root, 1400);
    trans = btrfs_start_transaction(fs);
    // The first deletion COWs the leaf: the old copy is dropped with its last reference, pinned.
    REQUIRE(btrfs_delete_item(trans, root, {1400, BTRFS_INODE_ITEM_KEY, 0}) == 0);
    CHECK(leaf_of(fs, root, 1399) != old_leaf);
    CHECK_FALSE(is_free_space(fs, old_leaf));
    REQUIRE(trans.transaction->delayed_refs.heads.contains(old_leaf));
    CHECK(trans.transaction->delayed_refs.heads.at(old_leaf).ref_mod == -1);
    btrfs_end_transaction(trans);
    REQUIRE(btrfs_commit_current(fs) == 0);
    CHECK(is_free_space(fs, old_leaf));
  });
}

TEST_CASE("free_tree_block: an addition and a drop of the same tree ref merge and other refs stay",
          "[model][free_tree_block][delayed_ref]") {
  auto fs = make_fs(small_nodes());
  run_in_fiber([&] {
    auto trans = btrfs_start_transaction(*fs);
    auto& heads = trans.transaction->delayed_refs.heads;
    const uint64_t bytenr = 1ull << 40;  // no such block: only the delayed ref heads are looked at
    btrfs_add_delayed_tree_ref(trans, bytenr, fs->nodesize, 0, 5, 0, +1, true);
    btrfs_add_delayed_tree_ref(trans, bytenr, fs->nodesize, 0, 257, 0, -1, false);  // another root
    CHECK(heads.at(bytenr).refs.size() == 2);
    btrfs_add_delayed_tree_ref(trans, bytenr, fs->nodesize, 0, 5, 0, -1, false);
    CHECK(heads.at(bytenr).refs.size() == 1);
    CHECK(check_ref_cleanup(trans, bytenr) == 0);  // a ref left: the head stays
    btrfs_add_delayed_tree_ref(trans, bytenr, fs->nodesize, 0, 257, 0, +1, false);
    CHECK(heads.at(bytenr).refs.empty());
    CHECK(heads.at(bytenr).must_insert_reserved);
    CHECK(check_ref_cleanup(trans, bytenr) == 1);
    CHECK_FALSE(heads.contains(bytenr));
    CHECK(check_ref_cleanup(trans, bytenr) == 0);  // no head
    // A head of an existing extent whose refs cancel is deleted, but nothing is given back.
    btrfs_add_delayed_tree_ref(trans, bytenr, fs->nodesize, 0, 5, 0, +1, false);
    btrfs_add_delayed_tree_ref(trans, bytenr, fs->nodesize, 0, 5, 0, -1, false);
    CHECK(check_ref_cleanup(trans, bytenr) == 0);
    CHECK_FALSE(heads.contains(bytenr));
    btrfs_end_transaction(trans);
  });
}
