// run_delalloc_nocow walking the file extent items by path and slot (6.1 inode.c), and the race of
// de7999afedff (v5.5): btrfs_next_leaf lets go of the path at the end of a leaf; when another range's
// ordered extent completion splits the prealloc item meanwhile, the search lands on the item's tail,
// already written. Before the fix the walk took it again (it skipped only items ending before the
// range's start): a 0-byte range, WARN_ON(end < start) in btrfs_drop_extent_map_range from create_io_em.
#include <catch2/catch.hpp>

#include <set>

#include "model/ctree.hpp"
#include "model/data/data_check.hpp"
#include "model/data/ordered_data.hpp"
#include "model/data/writeback.hpp"
#include "model/fsck.hpp"
#include "sim/explore.hpp"
#include "sim/model_world.hpp"
#include "sim/scenario_load.hpp"
#include "tests/model/scenario_explore.hpp"
#include "tests/model/test_data_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test;

namespace {

constexpr uint64_t K = 1024;
const char* const kScenario = FSRACE_SOURCE_DIR "/scenarios/nocow-writeback-vs-ordered-split.json";

// The leaves holding the file extent items of `ino` (walked with btrfs_next_item, as a reader would).
size_t leaves_of_file_extents(btrfs_fs_info& fs, btrfs_root& root, uint64_t ino) {
  btrfs_path path;
  std::set<uint64_t> leaves;
  int ret = btrfs_search_slot(fs, root, {ino, BTRFS_EXTENT_DATA_KEY, 0}, path);
  REQUIRE(ret >= 0);
  for (;;) {
    const tree_block* leaf = btrfs_path_block(fs, path, 0);
    if (path.slots[0] >= int(leaf->nritems())) {
      if (btrfs_next_leaf(fs, root, path) != 0) break;
      continue;
    }
    const btrfs_key& key = btrfs_path_item(fs, path).key;
    if (key.objectid != ino || key.type != BTRFS_EXTENT_DATA_KEY) break;
    leaves.insert(path.nodes[0]);
    path.slots[0]++;
  }
  return leaves.size();
}


}  // namespace

// Hundreds of adjacent 4 KiB extents of a nodatacow file fill several leaves; one writeback of the whole
// range walks them slot by slot and across every leaf boundary (btrfs_next_leaf) and writes each in place.
TEST_CASE("nocow writeback walks the file extent items over several leaves and writes each in place",
          "[nocow_walk][data][nocow]") {
  constexpr uint64_t kExtents = 400;
  auto fs = make_fs();
  std::vector<uint64_t> before;
  run_in_fiber([&] {
    btrfs_inode& inode = create_file(*fs, "n", true);
    for (uint64_t i = 0; i < kExtents; i++) {  // one ordered extent, so one extent, per page
      MUST(btrfs_buffered_write(*fs, inode, i * 4 * K, pattern_bytes(1, i * 4 * K, 4 * K), "write n"));
      MUST(filemap_write_and_wait_range(*fs, inode, i * 4 * K, (i + 1) * 4 * K));
    }
    MUST(btrfs_sync_fs(*fs));
    for (const auto& fe : file_extents(*fs, inode)) before.push_back(fe.fi.disk_bytenr);
    REQUIRE(before.size() == kExtents);
    REQUIRE(leaves_of_file_extents(*fs, *fs->get_fs_root(inode.root), inode.ino) >= 3);

    const uint64_t nocow_before = fs->data_stats.nocow_extents, cow_before = fs->data_stats.cow_extents;
    MUST(btrfs_buffered_write(*fs, inode, 0, pattern_bytes(2, 0, kExtents * 4 * K), "overwrite n"));
    MUST(btrfs_sync_file(*fs, inode, 0, ~0ull));
    CHECK(fs->data_stats.nocow_extents - nocow_before == kExtents);  // one ordered extent per item
    CHECK(fs->data_stats.cow_extents == cow_before);
    std::vector<uint64_t> after;
    for (const auto& fe : file_extents(*fs, inode)) after.push_back(fe.fi.disk_bytenr);
    CHECK(after == before);
    for (uint64_t i = 0; i < kExtents; i += 97)
      CHECK(read_mirror(*fs, before[i], 4 * K, 1) == pattern_bytes(2, i * 4 * K, 4 * K));
    btrfs_iput(*fs, inode);
  });
  CHECK(fsck_and_oracle_problems(*fs).empty());
}

// 6.1's walk COWs the item after a hole: the hole case moves cur_offset to the item's key and steps past
// the item's slot, so the next item (or the end of the range) starts after another "hole". Writes stay
// correct; only where they land differs.
TEST_CASE("nocow writeback: after a hole in the range, 6.1's walk COWs the rest of the range",
          "[nocow_walk][data][nocow]") {
  auto fs = make_fs();
  run_in_fiber([&] {
    btrfs_inode& inode = create_file(*fs, "n", true);
    MUST(btrfs_buffered_write(*fs, inode, 16 * K, pattern_bytes(1, 16 * K, 16 * K), "write n"));
    MUST(btrfs_sync_fs(*fs));
    const uint64_t x = file_extents(*fs, inode).at(0).fi.disk_bytenr;
    MUST(btrfs_buffered_write(*fs, inode, 0, pattern_bytes(2, 0, 32 * K), "overwrite n with its hole"));
    MUST(btrfs_sync_file(*fs, inode, 0, ~0ull));
    const auto items = file_extents(*fs, inode);
    REQUIRE(items.size() == 1);  // [0, 32K) COWed as one extent
    CHECK(items[0].key_offset == 0);
    CHECK(items[0].fi.num_bytes == 32 * K);
    CHECK(items[0].fi.disk_bytenr != x);
    btrfs_iput(*fs, inode);
  });
  CHECK(fsck_and_oracle_problems(*fs).empty());
}

TEST_CASE("de7999afedff off: the split prealloc item's tail is taken again, WARN in btrfs_drop_extent_map_range",
          "[nocow_walk][de7999afedff][sim]") {
  const sim::exploration e = explore_scenario_dfs(kScenario, false, 1);
  REQUIRE_FALSE(e.tool_error);
  REQUIRE(e.violations.size() == 1);
  const sched::Finding& f = e.violations[0].finding;
  INFO(f.message);
  CHECK(f.kind == sched::FindingKind::Warn);
  CHECK(f.message.find("btrfs_drop_extent_map_range ino 257 start 65536 end 65535") != std::string::npos);
  CHECK(e.executions == 13039);  // found at execution 13038 (numbered from 0)
}

TEST_CASE("de7999afedff on: every schedule with at most 1 preemption is clean",
          "[nocow_walk][de7999afedff][sim]") {
  const sim::exploration e = explore_scenario_dfs(kScenario, true, 1);
  REQUIRE_FALSE(e.tool_error);
  CHECK(e.violations.empty());
  CHECK(e.exhausted);
  CHECK(e.executions == 62751);
}
