// tree_block::leaf_used_bytes and a leaf's content_csum are memoised per content of the items (payload id) and the tree operations
// note the sum they computed from the one before: every leaf must still report the sum of its items as
// they are, after any change, and the fsck must still find an overflowing leaf it checked clean before.
#include <catch2/catch.hpp>

#include <string>

#include "model/fsck.hpp"
#include "model/fs_info.hpp"
#include "model/items.hpp"
#include "model/leaf_used_bytes.hpp"
#include "model/transaction.hpp"
#include "tests/model/model_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using fsrace::test::make_fs;
using fsrace::test::run_in_fiber;

namespace {

// The sum without the memo.
uint32_t summed(const tree_block& b) {
  uint32_t used = 0;
  for (const auto& it : b.items) used += BTRFS_ITEM_SIZE + item_size(it.value);
  return used;
}

btrfs_inode_ref ref_named(size_t len) {
  btrfs_inode_ref r;
  r.name = std::string(len, 'n');
  return r;
}

// Every leaf of the root's current tree reports the sum of its items.
void check_leaves(btrfs_fs_info& fs, btrfs_root& root) {
  btrfs_for_each_leaf(fs, root, {0, 0, 0}, [&](const tree_block_ptr& b, int) {
    CHECK(b->leaf_used_bytes() == summed(*b));
    return true;
  });
}

// The leaf holding key 1000 of `root`, as the buffer cache holds it, to corrupt in place (as a bug would).
tree_block& first_leaf_from_1000(btrfs_fs_info& fs, btrfs_root& root) {
  uint64_t victim = 0;
  btrfs_for_each_leaf(fs, root, {1000, 0, 0}, [&](const tree_block_ptr& b, int) {
    victim = b->header.bytenr;
    return false;
  });
  REQUIRE(victim != 0);
  return const_cast<tree_block&>(**fs.buffer_radix.find(victim));
}

}  // namespace

TEST_CASE("leaf_used_bytes follows every change of a leaf's items, shared or not", "[model][leaf_used_bytes]") {
  tree_block a;
  for (int i = 0; i < 5; ++i) a.items.push_back({{uint64_t(256 + i), BTRFS_INODE_REF_KEY, 256}, ref_named(10 + i)});
  const uint32_t before = a.leaf_used_bytes();
  CHECK(before == summed(a));
  tree_block b = a;  // shares the items
  CHECK(b.leaf_used_bytes() == before);
  b.items[2].value = ref_named(200);  // b copies, then changes its own
  CHECK(b.leaf_used_bytes() == summed(b));
  CHECK(b.leaf_used_bytes() == before - 12 + 200);
  CHECK(a.leaf_used_bytes() == before);
  b.items.erase(b.items.begin());
  CHECK(b.leaf_used_bytes() == summed(b));
  for (auto& it : b.items) it.value = ref_named(1);  // through mutable iterators, after the sum was kept
  CHECK(b.leaf_used_bytes() == summed(b));
  b.items.clear();
  CHECK(b.leaf_used_bytes() == 0);
  CHECK(a.leaf_used_bytes() == summed(a));
  // A note names the content as it is when noted; the next change is a new content.
  note_leaf_used_bytes(a, before);
  a.items.push_back({{300, BTRFS_INODE_REF_KEY, 256}, ref_named(40)});
  CHECK(a.leaf_used_bytes() == before + BTRFS_ITEM_SIZE + 50);
}

TEST_CASE("tree operations leave every leaf's used bytes right, and the fsck finds an overflow after a clean check",
          "[model][leaf_used_bytes][fsck]") {
  auto fs = make_fs();
  btrfs_root& root = *fs->roots.at(BTRFS_FS_TREE_OBJECTID);
  run_in_fiber([&] {
    auto trans = btrfs_start_transaction(*fs);
    // Inserts that split leaves, updates that grow and shrink items, deletes, COW searches.
    for (int i = 0; i < 600; ++i)
      REQUIRE(btrfs_insert_item(trans, root, {uint64_t(1000 + i), BTRFS_INODE_REF_KEY, 256}, ref_named(20 + i % 50)) == 0);
    for (int i = 0; i < 600; i += 3)
      REQUIRE(btrfs_update_item(trans, root, {uint64_t(1000 + i), BTRFS_INODE_REF_KEY, 256}, ref_named(i % 7 ? 150 : 1)) == 0);
    for (int i = 1; i < 600; i += 5)
      REQUIRE(btrfs_delete_item(trans, root, {uint64_t(1000 + i), BTRFS_INODE_REF_KEY, 256}) == 0);
    for (int i = 2; i < 600; i += 50)
      REQUIRE(btrfs_cow_search(trans, root, {uint64_t(1000 + i), BTRFS_INODE_REF_KEY, 256}, 0) == 0);
    btrfs_end_transaction(trans);
    check_leaves(*fs, root);
    REQUIRE(btrfs_commit_current(*fs) == 0);
    check_leaves(*fs, root);
  });
  REQUIRE(btrfs_check(*fs, fsck_scope::trees).empty());
  // Grow one item of a leaf the check found sound past the leaf's room, in place (as a corruption would):
  // the next check must see the leaf's new size.
  tree_block& leaf = first_leaf_from_1000(*fs, root);
  const uint32_t sound = leaf.leaf_used_bytes();
  leaf.items[leaf.items.size() - 1].value = ref_named(fs->nodesize);
  CHECK(leaf.leaf_used_bytes() == summed(leaf));
  CHECK(leaf.leaf_used_bytes() > sound);
  const auto problems = btrfs_check(*fs, fsck_scope::trees);
  bool overflow = false;
  for (const auto& p : problems) overflow |= p.find("overflows") != std::string::npos;
  CHECK(overflow);
}

TEST_CASE("a leaf's content_csum follows every change of its header and items", "[model][leaf_used_bytes][csum]") {
  // The sum as a block that shares nothing computes it (fresh payload: nothing memoised for it).
  auto fresh = [](const tree_block& b) {
    tree_block c;
    c.header = b.header;
    c.items = std::vector<btrfs_item>(b.items.view());
    return c.content_csum();
  };
  tree_block a;
  a.header = {4096 * 100, 7, 5, 0, 0};
  for (int i = 0; i < 4; ++i) a.items.push_back({{uint64_t(256 + i), BTRFS_INODE_REF_KEY, 256}, ref_named(8)});
  const uint32_t sum = a.content_csum();
  CHECK(sum == fresh(a));
  CHECK(a.content_csum() == sum);
  tree_block b = a;  // shares the items: same content, same sum
  CHECK(b.content_csum() == sum);
  b.header.bytenr += 4096;  // relocation's COW: new header, shared items
  CHECK(b.content_csum() == fresh(b));
  CHECK(b.content_csum() != sum);
  b.header = a.header;
  b.header.generation += 1;
  CHECK(b.content_csum() == fresh(b));
  b.header = a.header;
  b.header.owner += 1;
  CHECK(b.content_csum() == fresh(b));
  b.header = a.header;
  b.items[1].key.offset += 1;  // in place after the sum was kept
  CHECK(b.content_csum() == fresh(b));
  CHECK(b.content_csum() != sum);
  b.items[1] = a.items[1];
  b.items[2].value = btrfs_inode_item{};  // another kind of item at the same key
  CHECK(b.content_csum() == fresh(b));
  CHECK(b.content_csum() != sum);
  CHECK(a.content_csum() == sum);
}

TEST_CASE("the fsck finds a committed leaf changed in place after a clean check", "[model][leaf_used_bytes][csum][fsck]") {
  auto fs = make_fs();
  btrfs_root& root = *fs->roots.at(BTRFS_FS_TREE_OBJECTID);
  run_in_fiber([&] {
    auto trans = btrfs_start_transaction(*fs);
    for (int i = 0; i < 300; ++i)
      REQUIRE(btrfs_insert_item(trans, root, {uint64_t(1000 + i), BTRFS_INODE_REF_KEY, 256}, ref_named(30)) == 0);
    btrfs_end_transaction(trans);
    REQUIRE(btrfs_commit_current(*fs) == 0);
  });
  REQUIRE(btrfs_check(*fs, fsck_scope::trees).empty());
  tree_block& leaf = first_leaf_from_1000(*fs, root);
  REQUIRE(leaf.header.csum != 0);
  leaf.items[0].key.offset += 1;  // keeps the order; only the checksum can tell
  const auto problems = btrfs_check(*fs, fsck_scope::trees);
  bool mismatch = false;
  for (const auto& p : problems) mismatch |= p.find("checksum mismatch") != std::string::npos;
  CHECK(mismatch);
}
