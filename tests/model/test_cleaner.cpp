// The cleaner's removal of unused block groups.
#include <catch2/catch.hpp>

#include "model/data/file.hpp"
#include "model/maint/cleaner.hpp"
#include "model/mkfs.hpp"
#include "tests/model/test_scrub_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test;

namespace {

size_t data_groups(btrfs_fs_info& fs) {
  size_t n = 0;
  for (auto& [start, bg] : fs.block_group_cache_tree) n += bool(bg->flags & BTRFS_BLOCK_GROUP_DATA);
  return n;
}

}  // namespace

TEST_CASE("the cleaner deletes an empty data block group and fsck stays clean", "[model][cleaner]") {
  auto fs = make_fs();
  run_in_fiber([&] {
    write_file(*fs, "a", 0, 64 * 1024, 1);  // the mkfs data group is in use
    REQUIRE(btrfs_sync_fs(*fs) == 0);
    REQUIRE(btrfs_force_chunk_alloc(*fs, BTRFS_BLOCK_GROUP_DATA, 1) == 0);
  });
  REQUIRE(data_groups(*fs) == 2);
  REQUIRE(btrfs_check(*fs).empty());
  const uint64_t empty_start = std::prev(fs->block_group_cache_tree.end())->first;
  const btrfs_block_group_cache& empty = *fs->block_group_cache_tree.at(empty_start);
  REQUIRE(empty.used == 0);
  const auto stripes = chunk_map_of(*fs, *fs->mapping_tree.at(empty_start)).stripes;
  const uint64_t chunk_len = fs->mapping_tree.at(empty_start)->length;
  const uint64_t dev_used_before = fs->device(stripes[0].devid)->bytes_used;
  int marked = 0;
  run_in_fiber([&] {
    marked = btrfs_mark_empty_bgs_unused(*fs);
    btrfs_delete_unused_bgs(*fs);
  });
  CHECK(marked == 1);
  CHECK(data_groups(*fs) == 1);
  CHECK(fs->block_group_cache_tree.count(empty_start) == 0);
  CHECK(fs->mapping_tree.count(empty_start) == 0);
  CHECK(fs->unused_bgs.empty());
  CHECK(fs->device(stripes[0].devid)->bytes_used == dev_used_before - chunk_len * stripes.size());
  auto problems = btrfs_check(*fs);
  for (auto& p : problems) UNSCOPED_INFO(p);
  CHECK(problems.empty());
  run_in_fiber([&] { REQUIRE(btrfs_commit_current(*fs) == 0); });
  CHECK(end_state_problems(*fs).empty());
  // The removal is in the commit root now: the dev tree has no dev extent of the chunk.
  bool dev_extent_left = false;
  btrfs_for_each_item(*fs, fs->dev_root(), {0, 0, 0}, [&](const btrfs_item& it) {
    if (it.key.type == BTRFS_DEV_EXTENT_KEY && std::get<btrfs_dev_extent>(it.value).chunk_offset == empty_start)
      dev_extent_left = true;
    return true;
  });
  CHECK_FALSE(dev_extent_left);
}

TEST_CASE("the cleaner keeps used and read-only and last-of-their-kind groups", "[model][cleaner]") {
  auto fs = make_fs();
  run_in_fiber([&] { btrfs_mark_empty_bgs_unused(*fs); });
  // The only data group is empty but the last of its kind.
  REQUIRE(data_groups(*fs) == 1);
  run_in_fiber([&] { btrfs_delete_unused_bgs(*fs); });
  CHECK(data_groups(*fs) == 1);

  run_in_fiber([&] { REQUIRE(btrfs_force_chunk_alloc(*fs, BTRFS_BLOCK_GROUP_DATA, 1) == 0); });
  const uint64_t second = std::prev(fs->block_group_cache_tree.end())->first;
  fs->block_group_cache_tree.at(second)->ro = 1;  // e.g. balance or scrub holds it
  run_in_fiber([&] {
    btrfs_mark_empty_bgs_unused(*fs);
    btrfs_delete_unused_bgs(*fs);
  });
  // The read-only one is skipped; the mkfs group, empty and no longer the last, goes.
  CHECK(data_groups(*fs) == 1);
  CHECK(fs->block_group_cache_tree.count(second) == 1);
}
