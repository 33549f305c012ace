// FITRIM (btrfs_trim_fs) and block group freezing: what is discarded, what never is, and how a frozen
// group keeps its chunk mapping and device extents after removal until it is unfrozen.
#include <catch2/catch.hpp>

#include <algorithm>

#include "model/block_group.hpp"
#include "model/data/data_check.hpp"
#include "model/fsck.hpp"
#include "model/maint/cleaner.hpp"
#include "model/maint/fitrim.hpp"
#include "model/volumes.hpp"
#include "tests/model/test_data_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test;

TEST_CASE("fitrim discards freed extents and leaves file data alone", "[model][fitrim]") {
  auto fs = make_fs();
  uint64_t freed_logical = 0, kept_logical = 0, trimmed = 0;
  run_in_fiber([&] {
    btrfs_inode& inode = create_file(*fs, "a");
    const auto extents = write_two_extents(*fs, inode);
    kept_logical = extents[0].fi.disk_bytenr;
    freed_logical = extents[1].fi.disk_bytenr;
    REQUIRE(!all_zero(read_mirror(*fs, freed_logical, 16384, 1)));
    // The second extent is freed by the truncate; the commits drop its item and unpin it.
    MUST(btrfs_setsize(*fs, inode, 16384, "truncate a"));
    MUST(btrfs_sync_fs(*fs));
    MUST(btrfs_commit_current(*fs));
    MUST(btrfs_trim_fs(*fs, 0, 0, &trimmed));
  });
  CHECK(trimmed > 0);
  CHECK(all_zero(read_mirror(*fs, freed_logical, 16384, 1)));       // free space: discarded
  CHECK(read_mirror(*fs, kept_logical, 16384, 1) == pattern_bytes(1, 0, 16384));  // in use: untouched
  CHECK(fsck_and_oracle_problems(*fs).empty());
  // Every group's free space and reservations are as before the trim.
  for (const auto& [start, bg] : fs->block_group_cache_tree) {
    CHECK(bg->reserved == 0);
    CHECK(bg->frozen == 0);
    CHECK(bg->free_bytes() + bg->used + bg->bytes_super == bg->length);
  }
}

TEST_CASE("fitrim with minlen skips shorter free extents", "[model][fitrim]") {
  auto fs = make_fs();
  uint64_t all = 0, big_only = 0;
  run_in_fiber([&] {
    btrfs_inode& inode = create_file(*fs, "a");
    MUST(btrfs_buffered_write(*fs, inode, 0, pattern_bytes(1, 0, 16384), "write a"));
    MUST(btrfs_sync_fs(*fs));
    MUST(btrfs_trim_fs(*fs, 0, 0, &all));
    MUST(btrfs_trim_fs(*fs, 0, 1ull << 40, &big_only));  // nothing is that long: only unallocated space
  });
  CHECK(all > big_only);
  CHECK(fsck_and_oracle_problems(*fs).empty());
}

TEST_CASE("a frozen block group keeps its chunk mapping and device extents after removal until unfrozen",
          "[model][fitrim][freeze]") {
  auto fs = make_fs();
  run_in_fiber([&] {
    create_file(*fs, "a");
    MUST(btrfs_buffered_write(*fs, open_file(*fs, "a"), 0, pattern_bytes(1, 0, 65536), "write a"));
    MUST(btrfs_sync_fs(*fs));
    MUST(btrfs_force_chunk_alloc(*fs, BTRFS_BLOCK_GROUP_DATA, 1));
  });
  const uint64_t empty_start = std::prev(fs->block_group_cache_tree.end())->first;
  block_group_ptr empty = fs->block_group_cache_tree.at(empty_start);
  REQUIRE((empty->flags & BTRFS_BLOCK_GROUP_DATA));
  REQUIRE(empty->used == 0);
  const btrfs_bio_stripe old_stripe = chunk_map_of(*fs, *fs->mapping_tree.at(empty_start)).stripes.at(0);
  const uint64_t stripe_len = map_stripe_size(*fs->mapping_tree.at(empty_start));
  btrfs_freeze_block_group(*empty);
  run_in_fiber([&] {
    REQUIRE(btrfs_mark_empty_bgs_unused(*fs) == 1);
    btrfs_delete_unused_bgs(*fs);
  });
  CHECK(fs->block_group_cache_tree.count(empty_start) == 0);
  CHECK(empty->removed);
  CHECK(fs->mapping_tree.count(empty_start) == 1);  // frozen: the extent map stays
  // A new chunk neither starts there nor takes its device extent.
  run_in_fiber([&] { MUST(btrfs_force_chunk_alloc(*fs, BTRFS_BLOCK_GROUP_DATA, 1)); });
  const uint64_t new_start = std::prev(fs->block_group_cache_tree.end())->first;
  CHECK(new_start > empty_start);
  for (const auto& s : chunk_map_of(*fs, *fs->mapping_tree.at(new_start)).stripes)
    if (s.devid == old_stripe.devid)
      CHECK((s.physical + stripe_len <= old_stripe.physical || s.physical >= old_stripe.physical + stripe_len));
  run_in_fiber([&] { btrfs_unfreeze_block_group(*fs, *empty); });
  CHECK(fs->mapping_tree.count(empty_start) == 0);  // the last unfreeze removes it
  CHECK(empty->free_space.empty());
  run_in_fiber([&] { MUST(btrfs_commit_current(*fs)); });
  CHECK(fsck_and_oracle_problems(*fs).empty());
}

TEST_CASE("unfreezing a group that was not removed keeps its mapping", "[model][fitrim][freeze]") {
  auto fs = make_fs();
  block_group_ptr bg = fs->block_group_cache_tree.begin()->second;
  btrfs_freeze_block_group(*bg);
  btrfs_freeze_block_group(*bg);
  run_in_fiber([&] {
    btrfs_unfreeze_block_group(*fs, *bg);
    btrfs_unfreeze_block_group(*fs, *bg);
  });
  CHECK(bg->frozen == 0);
  CHECK(fs->mapping_tree.count(bg->start) == 1);
  CHECK(fsck_and_oracle_problems(*fs).empty());
}
