// mount -o discard (DISCARD_SYNC): btrfs_finish_extent_commit discards what the transaction unpinned, and
// the cleaner's removed block groups go on the transaction's deleted_bgs, frozen, to be discarded whole
// and unfrozen at that commit. Without the option nothing is discarded.
#include <catch2/catch.hpp>

#include <algorithm>

#include "model/block_group.hpp"
#include "model/data/data_check.hpp"
#include "model/discard.hpp"
#include "model/fsck.hpp"
#include "model/maint/cleaner.hpp"
#include "model/transaction.hpp"
#include "model/volumes.hpp"
#include "tests/model/test_data_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test;

namespace {

// Writes two extents of file a, frees the second (truncate) and commits; returns {kept, freed} logical.
std::pair<uint64_t, uint64_t> write_then_free(btrfs_fs_info& fs) {
  uint64_t kept = 0, freed = 0;
  run_in_fiber([&] {
    btrfs_inode& inode = create_file(fs, "a");
    const auto extents = write_two_extents(fs, inode);
    kept = extents[0].fi.disk_bytenr;
    freed = extents[1].fi.disk_bytenr;
    REQUIRE(!all_zero(read_mirror(fs, freed, 16384, 1)));
    MUST(btrfs_setsize(fs, inode, 16384, "truncate a"));
    MUST(btrfs_sync_fs(fs));
    MUST(btrfs_commit_current(fs));
  });
  return {kept, freed};
}

// An empty second data group on unused_bgs; returns its start.
uint64_t empty_data_group(btrfs_fs_info& fs) {
  run_in_fiber([&] {
    create_file(fs, "b");
    MUST(btrfs_buffered_write(fs, open_file(fs, "b"), 0, pattern_bytes(3, 0, 65536), "write b"));
    MUST(btrfs_sync_fs(fs));
    MUST(btrfs_force_chunk_alloc(fs, BTRFS_BLOCK_GROUP_DATA, 1));
  });
  const uint64_t start = std::prev(fs.block_group_cache_tree.end())->first;
  REQUIRE((fs.block_group_cache_tree.at(start)->flags & BTRFS_BLOCK_GROUP_DATA));
  REQUIRE(fs.block_group_cache_tree.at(start)->used == 0);
  return start;
}

// An empty data group whose device range holds old bytes (pattern 4), as a reused chunk would.
struct used_before_group {
  uint64_t start = 0;
  block_group_ptr bg;
  btrfs_bio_stripe stripe;
};
used_before_group empty_group_with_old_bytes(btrfs_fs_info& fs) {
  used_before_group g;
  g.start = empty_data_group(fs);
  g.bg = fs.block_group_cache_tree.at(g.start);
  g.stripe = chunk_map_of(fs, *fs.mapping_tree.at(g.start)).stripes.at(0);
  fs.device(g.stripe.devid)->bdev.write(g.stripe.physical, pattern_bytes(4, 0, 8192));
  return g;
}

std::vector<uint8_t> stripe_bytes(btrfs_fs_info& fs, const btrfs_bio_stripe& stripe) {
  std::vector<uint8_t> out(8192);
  fs.device(stripe.devid)->bdev.read(stripe.physical, out);
  return out;
}

// The cleaner's pass over the empty group: marked unused, then deleted.
void clean_unused_groups(btrfs_fs_info& fs) {
  REQUIRE(btrfs_mark_empty_bgs_unused(fs) >= 1);
  btrfs_delete_unused_bgs(fs);
}

}  // namespace

TEST_CASE("mount -o discard: what a commit unpins is discarded, data in use is not", "[model][discard]") {
  auto fs = make_fs();
  fs->mount_opt |= BTRFS_MOUNT_DISCARD_SYNC;
  const auto [kept, freed] = write_then_free(*fs);
  CHECK(all_zero(read_mirror(*fs, freed, 16384, 1)));
  CHECK(read_mirror(*fs, kept, 16384, 1) == pattern_bytes(1, 0, 16384));
  CHECK(fsck_and_oracle_problems(*fs).empty());
}

TEST_CASE("without -o discard a freed extent keeps its old bytes", "[model][discard]") {
  auto fs = make_fs();
  const auto [kept, freed] = write_then_free(*fs);
  CHECK(read_mirror(*fs, freed, 16384, 1) == pattern_bytes(2, 16384, 16384));
  CHECK(fsck_and_oracle_problems(*fs).empty());
}

TEST_CASE("mount -o discard: a group the cleaner removes stays frozen on deleted_bgs, mapped, until the commit "
          "discards it whole and unfreezes it",
          "[model][discard][freeze]") {
  auto fs = make_fs();
  fs->mount_opt |= BTRFS_MOUNT_DISCARD_SYNC;
  const auto [start, bg, stripe] = empty_group_with_old_bytes(*fs);
  run_in_fiber([&] { clean_unused_groups(*fs); });
  CHECK(bg->removed);
  CHECK(fs->block_group_cache_tree.count(start) == 0);
  CHECK(bg->frozen == 1);
  CHECK(bg->on_deleted_bgs);
  CHECK_FALSE(bg->on_unused_list);
  REQUIRE(fs->running_transaction);
  CHECK(fs->running_transaction->deleted_bgs.size() == 1);
  CHECK(fs->mapping_tree.count(start) == 1);  // frozen: not reused before the discard
  CHECK(stripe_bytes(*fs, stripe) == pattern_bytes(4, 0, 8192));
  run_in_fiber([&] { MUST(btrfs_commit_current(*fs)); });
  CHECK(bg->frozen == 0);
  CHECK_FALSE(bg->on_deleted_bgs);
  CHECK(fs->mapping_tree.count(start) == 0);  // the last unfreeze removed it
  CHECK(all_zero(stripe_bytes(*fs, stripe)));
  CHECK(fsck_and_oracle_problems(*fs).empty());
}

TEST_CASE("without -o discard the cleaner's removal drops the mapping at once and discards nothing",
          "[model][discard]") {
  auto fs = make_fs();
  const auto [start, bg, stripe] = empty_group_with_old_bytes(*fs);
  run_in_fiber([&] {
    clean_unused_groups(*fs);
    MUST(btrfs_commit_current(*fs));
  });
  CHECK(bg->removed);
  CHECK(bg->frozen == 0);
  CHECK_FALSE(bg->on_deleted_bgs);
  CHECK(fs->mapping_tree.count(start) == 0);
  CHECK(stripe_bytes(*fs, stripe) == pattern_bytes(4, 0, 8192));
  CHECK(fsck_and_oracle_problems(*fs).empty());
}
