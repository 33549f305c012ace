// Ordered extents: delalloc -> ordered extent -> file extent item -> extent item at commit, and the
// waits maintenance relies on.
#include <catch2/catch.hpp>

#include <algorithm>

#include "model/data/data_check.hpp"
#include "model/data/ordered_data.hpp"
#include "model/data/writeback.hpp"
#include "model/data/file_item.hpp"
#include "model/fsck.hpp"
#include "model/block_group.hpp"
#include "scheduler/strategy.hpp"
#include "tests/model/test_data_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test;

TEST_CASE("ordered extent life cycle from a buffered write to the extent tree's commit root", "[data][ordered]") {
  auto fs = make_fs();
  run_in_fiber([&] {
    btrfs_inode& inode = create_file(*fs, "a");
    const auto data = pattern_bytes(1, 0, 64 << 10);
    MUST(btrfs_buffered_write(*fs, inode, 0, data, "write a"));
    // Delalloc: dirty pages, the inode on its root's delalloc list, no extent yet.
    CHECK(inode.delalloc_bytes == (64u << 10));
    CHECK(fs->delalloc_roots == std::vector<uint64_t>{kFsTree});
    CHECK(fs->data_roots.at(kFsTree).delalloc_inodes == std::vector<uint64_t>{inode.ino});
    CHECK(fs->ordered_roots.empty());
    CHECK(file_extents(*fs, inode).empty());

    // Writeback: cow_file_range made an ordered extent; the bio is submitted, not completed (no
    // scheduling point since the submission, so the endio fiber has not run).
    MUST(btrfs_fdatawrite_range(*fs, inode, 0, ~0ull));
    CHECK(inode.delalloc_bytes == 0);
    CHECK(fs->delalloc_roots.empty());
    REQUIRE(inode.ordered_tree.size() == 1);
    const uint64_t id = inode.ordered_tree.begin()->second;
    const btrfs_ordered_extent& oe = fs->ordered_extents.at(id);
    CHECK(oe.file_offset == 0);
    CHECK(oe.len == (64u << 10));
    CHECK_FALSE(oe.test(BTRFS_ORDERED_IO_DONE));
    CHECK_FALSE(oe.test(BTRFS_ORDERED_COMPLETE));
    CHECK(fs->ordered_roots == std::vector<uint64_t>{kFsTree});
    CHECK(fs->data_roots.at(kFsTree).ordered_extents == std::vector<uint64_t>{id});
    CHECK(inode.mapping.pages.at(0).writeback);
    const uint64_t bytenr = oe.start;

    // Completion: btrfs_finish_ordered_io put the file extent item and the delayed data ref in the
    // running transaction and removed the ordered extent.
    MUST(btrfs_wait_ordered_range(*fs, inode, 0, ~0ull));
    CHECK(inode.ordered_tree.empty());
    CHECK(fs->ordered_roots.empty());
    CHECK(fs->ordered_extents.count(id) == 0);
    const auto items = file_extents(*fs, inode);
    REQUIRE(items.size() == 1);
    CHECK(items[0].fi.type == BTRFS_FILE_EXTENT_REG);
    CHECK(items[0].fi.disk_bytenr == bytenr);
    CHECK(items[0].fi.num_bytes == (64u << 10));
    CHECK(btrfs_lookup_csums_range(*fs, bytenr, bytenr + (64 << 10)).size() == 16);
    CHECK(inode.disk_i_size == (64u << 10));

    // The extent item exists only once delayed refs run, at commit; the commit also makes it part
    // of the extent tree's commit root.
    const btrfs_key extent_key{bytenr, BTRFS_EXTENT_ITEM_KEY, 64 << 10};
    CHECK_FALSE(in_current_root(*fs, fs->extent_root(), extent_key));
    CHECK_FALSE(in_commit_root(*fs, fs->extent_root(), extent_key));
    MUST(btrfs_commit_current(*fs));
    CHECK(in_current_root(*fs, fs->extent_root(), extent_key));
    CHECK(in_commit_root(*fs, fs->extent_root(), extent_key));
    btrfs_iput(*fs, inode);
  });
  CHECK(btrfs_check(*fs).empty());
  CHECK(btrfs_check_data_against_oracle(*fs).empty());
}

TEST_CASE("btrfs_wait_ordered_roots with a range waits only for ordered extents in that disk range",
          "[data][ordered]") {
  auto fs = make_fs();
  run_in_fiber([&] {
    btrfs_inode& a = create_file(*fs, "a");
    btrfs_inode& b = create_file(*fs, "b");
    MUST(btrfs_buffered_write(*fs, a, 0, pattern_bytes(1, 0, 8192), "write a"));
    MUST(btrfs_buffered_write(*fs, b, 0, pattern_bytes(2, 0, 8192), "write b"));
    MUST(btrfs_fdatawrite_range(*fs, a, 0, ~0ull));
    MUST(btrfs_fdatawrite_range(*fs, b, 0, ~0ull));
    REQUIRE(a.ordered_tree.size() == 1);
    REQUIRE(b.ordered_tree.size() == 1);
    const uint64_t ida = a.ordered_tree.begin()->second;
    const uint64_t start_a = fs->ordered_extents.at(ida).start;
    const uint64_t start_b = fs->ordered_extents.at(b.ordered_tree.begin()->second).start;
    REQUIRE(start_a != start_b);
    const uint64_t waited = btrfs_wait_ordered_roots(*fs, ~0ull, start_a, 8192);
    CHECK(waited == 1);
    CHECK(a.ordered_tree.empty());
    const uint64_t rest = btrfs_wait_ordered_roots(*fs, ~0ull, 0, ~0ull);
    CHECK(rest <= 1);
    CHECK(b.ordered_tree.empty());
    CHECK(fs->ordered_roots.empty());
    btrfs_iput(*fs, a);
    btrfs_iput(*fs, b);
  });
}

// The window seed 003b depends on: a COW direct IO write has reserved its extent (block group
// reservations raised with 9cfa3e34e20e) while its ordered extent does not exist yet.
TEST_CASE("a COW direct IO write reserves its extent before its ordered extent exists", "[data][dio][ordered]") {
  auto prepared = make_fs();
  prepared->fixes = fix_set::all_on();
  freeze(*prepared);
  int window_seen = 0;
  for (uint64_t seed = 1; seed <= 40; seed++) {
    btrfs_fs_info fs(*prepared);
    bool done = false;
    bool seen = false;
    sched::Scheduler s;
    s.spawn("dio", [&] {
      btrfs_inode& inode = create_file(fs, "d");
      MUST(btrfs_direct_write(fs, inode, 0, pattern_bytes(3, 0, 16384), "dio d"));
      btrfs_iput(fs, inode);
      done = true;
    });
    s.spawn("watch", [&] {
      for (int i = 0; i < 10000 && !done; i++) {
        sched::point(sched::L("watch"));
        const uint64_t ino = btrfs_lookup_name(fs, kFsTree, "d");
        const btrfs_inode* inode = ino ? btrfs_iget_const(fs, kFsTree, ino) : nullptr;
        int64_t reservations = 0;
        for (auto& [start, bg] : fs.block_group_cache_tree) reservations += bg->reservations.peek();
        if (inode && reservations > 0 && inode->ordered_tree.empty()) seen = true;
      }
    });
    sched::RandomStrategy r;
    auto e = s.run(r, seed);
    INFO("seed " << seed << ": " << e.finding.message);
    REQUIRE(e.finding.kind == sched::FindingKind::None);
    window_seen += seen;
    CHECK(btrfs_check_data_against_oracle(fs).empty());
  }
  CHECK(window_seen > 0);
}

TEST_CASE("an ordered extent's completion gives the inode item the in-memory i_size (NO_HOLES), past data still in delalloc",
          "[data][ordered]") {
  // 6.1's btrfs_inode_safe_disk_i_size_write with NO_HOLES: disk_i_size = i_size, whatever part of the file
  // has reached the tree; the range still in delalloc reads as an implicit hole from the item.
  auto fs = make_fs();
  run_in_fiber([&] {
    btrfs_inode& inode = create_file(*fs, "a");
    MUST(btrfs_buffered_write(*fs, inode, 0, pattern_bytes(1, 0, 4096), "write a [0, 4K)"));
    MUST(btrfs_buffered_write(*fs, inode, 1 << 20, pattern_bytes(2, 1 << 20, 4096), "write a [1M, 1M+4K)"));
    CHECK(inode.i_size == (1u << 20) + 4096);
    CHECK(inode.disk_i_size == 0);
    MUST(btrfs_fdatawrite_range(*fs, inode, 0, 4096));  // only the first range
    MUST(btrfs_wait_ordered_range(*fs, inode, 0, 4096));
    CHECK(file_extents(*fs, inode).size() == 1);
    CHECK(inode.delalloc_bytes == 4096);  // the second range is still delalloc
    CHECK(inode.disk_i_size == (1u << 20) + 4096);
    item_value v;
    MUST(btrfs_lookup_item(*fs, *fs->get_fs_root(kFsTree), {inode.ino, BTRFS_INODE_ITEM_KEY, 0}, &v));
    CHECK(std::get<btrfs_inode_item>(v).size == (1u << 20) + 4096);
    MUST(btrfs_sync_fs(*fs));
    btrfs_iput(*fs, inode);
  });
  CHECK(btrfs_check(*fs).empty());
  CHECK(btrfs_check_data_against_oracle(*fs).empty());
}
