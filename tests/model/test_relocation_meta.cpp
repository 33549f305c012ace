// Metadata (and system) block group relocation: every tree block moves out of the group, read-only
// snapshots included, and the group disappears. The trees hold raw inode items (no inode refs), so
// the fsck checks them as trees (fsck_scope::trees).
#include <catch2/catch.hpp>

#include <cerrno>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "model/fsck.hpp"
#include "model/fs_info.hpp"
#include "model/maint/balance.hpp"
#include "model/maint/snapshot.hpp"
#include "model/transaction.hpp"
#include "tests/model/model_fixture.hpp"
#include "tests/model/test_relocation_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using fsrace::test::make_fs;
using fsrace::test::run_in_fiber;

namespace {

// A default subvolume with `items` inode items (several leaves under a node) and a read-only
// snapshot of it. Returns the snapshot's objectid.
uint64_t populate_with_snapshot(btrfs_fs_info& fs, int items) {
  uint64_t snap = 0;
  run_in_fiber([&] {
    auto trans = btrfs_start_transaction(fs);
    btrfs_root& root = *fs.roots.at(BTRFS_FS_TREE_OBJECTID);
    for (int i = 0; i < items; ++i) {
      btrfs_inode_item it;
      it.size = uint64_t(i);
      REQUIRE(btrfs_insert_item(trans, root, {uint64_t(1000 + i), BTRFS_INODE_ITEM_KEY, 0}, it) == 0);
    }
    REQUIRE(btrfs_commit_transaction(trans) == 0);
    REQUIRE(btrfs_ioctl_snap_create(fs, BTRFS_FS_TREE_OBJECTID, BTRFS_FS_TREE_OBJECTID, "snap", true, &snap) == 0);
    // The source changes after the snapshot: some blocks are shared, some not.
    trans = btrfs_start_transaction(fs);
    btrfs_inode_item it;
    it.size = 7;
    REQUIRE(btrfs_update_item(trans, root, {1000, BTRFS_INODE_ITEM_KEY, 0}, it) == 0);
    REQUIRE(btrfs_commit_transaction(trans) == 0);
  });
  return snap;
}

int relocate(btrfs_fs_info& fs, uint64_t chunk) {
  int ret = 1;
  run_in_fiber([&] {
    fs.reclaim_bgs_lock.lock();
    ret = btrfs_relocate_chunk(fs, chunk);
    fs.reclaim_bgs_lock.unlock();
    REQUIRE(btrfs_commit_current(fs) == 0);
  });
  return ret;
}

}  // namespace

TEST_CASE("relocating the metadata group moves every tree block out of it, read-only snapshot included",
          "[model][relocation]") {
  auto fs = make_fs();
  const uint64_t snap = populate_with_snapshot(*fs, 400);
  block_group_ptr meta = test::first_group_of(*fs, BTRFS_BLOCK_GROUP_METADATA);
  REQUIRE(meta);
  const uint64_t start = meta->start, len = meta->length;
  const auto before = test::all_tree_blocks(*fs);
  REQUIRE(test::blocks_in(before, start, len).size() > 10);
  const btrfs_root& snap_root = *fs->roots.at(snap);
  REQUIRE(snap_root.is_readonly());
  REQUIRE((snap_root.node >= start && snap_root.node < start + len));
  std::vector<btrfs_key> snap_items_before;
  test::collect_items(*fs, snap_root.node, snap_items_before);

  REQUIRE(relocate(*fs, start) == 0);

  const auto problems = btrfs_check(*fs, fsck_scope::trees);
  INFO(fmt::format("{}", fmt::join(problems, "\n")));
  CHECK(problems.empty());
  const auto after = test::all_tree_blocks(*fs);
  CHECK(test::blocks_in(after, start, len).empty());
  CHECK(fs->block_group_cache_tree.count(start) == 0);
  CHECK(fs->mapping_tree.count(start) == 0);
  CHECK(btrfs_get_chunk_map(*fs, start) == nullptr);
  // The snapshot is still read-only, now lives elsewhere and holds the same items.
  const btrfs_root& snap_after = *fs->roots.at(snap);
  CHECK(snap_after.is_readonly());
  CHECK(!(snap_after.node >= start && snap_after.node < start + len));
  std::vector<btrfs_key> snap_items_after;
  test::collect_items(*fs, snap_after.node, snap_items_after);
  CHECK(snap_items_after == snap_items_before);
  CHECK(fs->reloc_stats.block_groups_relocated == 1);
  CHECK(fs->reloc_stats.tree_blocks_relocated > 0);
  CHECK(!fs->reloc_ctl);
  CHECK(!(fs->flags & BTRFS_FS_RELOC_RUNNING));
}

TEST_CASE("relocating the system group moves the chunk tree", "[model][relocation]") {
  auto fs = make_fs();
  block_group_ptr sys = test::first_group_of(*fs, BTRFS_BLOCK_GROUP_SYSTEM);
  REQUIRE(sys);
  const uint64_t start = sys->start, len = sys->length;
  REQUIRE(!test::blocks_in(test::all_tree_blocks(*fs), start, len).empty());
  REQUIRE(relocate(*fs, start) == 0);
  const auto problems = btrfs_check(*fs, fsck_scope::trees);
  INFO(fmt::format("{}", fmt::join(problems, "\n")));
  CHECK(problems.empty());
  CHECK(test::blocks_in(test::all_tree_blocks(*fs), start, len).empty());
  CHECK(fs->block_group_cache_tree.count(start) == 0);
  const btrfs_root& chunk_root = fs->chunk_root();
  block_group_ptr holder = btrfs_lookup_block_group(*fs, chunk_root.node);
  REQUIRE(holder);
  CHECK((holder->flags & BTRFS_BLOCK_GROUP_SYSTEM));
}

TEST_CASE("balance of metadata relocates metadata groups only and leaves a consistent filesystem",
          "[model][relocation][balance]") {
  auto fs = make_fs();
  populate_with_snapshot(*fs, 200);
  const block_group_ptr data = test::first_group_of(*fs, BTRFS_BLOCK_GROUP_DATA);
  const block_group_ptr meta = test::first_group_of(*fs, BTRFS_BLOCK_GROUP_METADATA);
  REQUIRE((data && meta));
  const uint64_t data_start = data->start, meta_start = meta->start;
  int ret = 1;
  run_in_fiber([&] {
    btrfs_balance_control bctl;
    bctl.flags = BTRFS_BALANCE_METADATA;
    ret = btrfs_balance(*fs, bctl);
    REQUIRE(btrfs_commit_current(*fs) == 0);
  });
  CHECK(ret == 0);
  CHECK(fs->block_group_cache_tree.count(meta_start) == 0);
  CHECK(fs->block_group_cache_tree.count(data_start) == 1);
  CHECK(!(fs->flags & (BTRFS_FS_BALANCE_RUNNING | BTRFS_FS_EXCL_OP)));
  CHECK(!fs->balance_ctl);
  const auto problems = btrfs_check(*fs, fsck_scope::trees);
  INFO(fmt::format("{}", fmt::join(problems, "\n")));
  CHECK(problems.empty());
}

TEST_CASE("balance refuses while another exclusive operation runs, and with 9e967495e0e0 while a send runs",
          "[model][relocation][balance]") {
  auto fs = make_fs();
  int ret = 0;
  run_in_fiber([&] {
    btrfs_balance_control bctl;
    fs->flags |= BTRFS_FS_EXCL_OP;
    ret = btrfs_balance(*fs, bctl);
    fs->flags &= ~BTRFS_FS_EXCL_OP;
  });
  CHECK(ret == -EBUSY);
  fs->fixes = fix_set::all_off();
  fs->fixes.set("9e967495e0e0", true);
  fs->send_in_progress = 1;
  run_in_fiber([&] { ret = btrfs_balance(*fs, btrfs_balance_control{}); });
  CHECK(ret == -EAGAIN);
  // 1cea5cf0e664 moves the check into btrfs_relocate_chunk: every relocation is refused.
  fs->fixes.set("1cea5cf0e664", true);
  block_group_ptr meta = test::first_group_of(*fs, BTRFS_BLOCK_GROUP_METADATA);
  const uint64_t start = meta->start;
  CHECK(relocate(*fs, start) == -EAGAIN);
  CHECK(fs->block_group_cache_tree.count(start) == 1);
  CHECK(meta->ro == 0);
  // d96b34248c2f: no exclusion any more.
  fs->fixes.set("d96b34248c2f", true);
  CHECK(relocate(*fs, start) == 0);
  CHECK(fs->block_group_cache_tree.count(start) == 0);
  CHECK(fs->last_reloc_trans > 0);
}

TEST_CASE("metadata relocation racing with file writes and snapshot creation leaves every tree out of the group",
          "[model][relocation][race]") {
  // Writers COW tree blocks (out of the read-only group) and commit while relocation walks the extent
  // tree's commit root and COWs what is left; a snapshot taken meanwhile must be moved too.
  auto prepared = make_fs();
  populate_with_snapshot(*prepared, 150);
  freeze(*prepared);
  const block_group_ptr meta = test::first_group_of(*prepared, BTRFS_BLOCK_GROUP_METADATA);
  const uint64_t start = meta->start, len = meta->length;
  sched::Scheduler s(sched::Options{.max_steps = 200000});
  sched::PctStrategy pct(3);
  for (uint64_t i = 0; i < 150; ++i) {
    btrfs_fs_info fs(*prepared);
    fs.fixes = fix_set::for_kernel("4.7");
    int relocated = 1, snap = 1;
    s.spawn("writer", [&fs] {
      auto trans = btrfs_start_transaction(fs);
      btrfs_root& root = *fs.roots.at(BTRFS_FS_TREE_OBJECTID);
      for (uint64_t k = 0; k < 40; ++k) {
        btrfs_inode_item it;
        it.size = k;
        FSRACE_ASSERT(btrfs_insert_item(trans, root, {5000 + k, BTRFS_INODE_ITEM_KEY, 0}, it) == 0, "insert {}", k);
      }
      FSRACE_ASSERT(btrfs_commit_transaction(trans) == 0, "commit");
    });
    s.spawn("snapshot", [&fs, &snap] {
      snap = btrfs_ioctl_snap_create(fs, BTRFS_FS_TREE_OBJECTID, BTRFS_FS_TREE_OBJECTID, "snap2", true, nullptr);
    });
    s.spawn("balance", [&fs, &relocated, start] {
      fs.reclaim_bgs_lock.lock();
      relocated = btrfs_relocate_chunk(fs, start);
      fs.reclaim_bgs_lock.unlock();
    });
    const sched::Execution ex = s.run(pct, sched::execution_seed(31, i));
    INFO("execution " << i << ": " << sched::to_string(ex.finding.kind) << " " << ex.finding.message);
    REQUIRE(ex.finding.kind == sched::FindingKind::None);
    REQUIRE(relocated == 0);
    REQUIRE(snap == 0);
    run_in_fiber([&] { REQUIRE(btrfs_commit_current(fs) == 0); });
    const auto problems = btrfs_check(fs, fsck_scope::trees);
    INFO(fmt::format("{}", fmt::join(problems, "\n")));
    REQUIRE(problems.empty());
    REQUIRE(test::blocks_in(test::all_tree_blocks(fs), start, len).empty());
  }
}
