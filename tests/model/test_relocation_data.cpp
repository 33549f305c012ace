// Data block group relocation with nothing racing: every extent moves (COW, nodatacow and prealloc
// extents, extents shared with a read-only snapshot), every file reads back what was written, the
// group disappears.
#include <catch2/catch.hpp>

#include <cerrno>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "model/data/data_check.hpp"
#include "model/fsck.hpp"
#include "model/maint/balance.hpp"
#include "model/maint/snapshot.hpp"
#include "tests/model/test_data_fixture.hpp"
#include "tests/model/test_relocation_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test;

namespace {

constexpr uint64_t K = 1024;

// Files of every kind in the default subvolume, a read-only snapshot, and changes after it.
void populate_data(btrfs_fs_info& fs) {
  run_in_fiber([&] {
    btrfs_inode& a = create_file(fs, "a");
    REQUIRE(btrfs_buffered_write(fs, a, 0, pattern_bytes(1, 0, 256 * K), "write a") == 0);
    btrfs_inode& n = create_file(fs, "n", true);
    REQUIRE(btrfs_buffered_write(fs, n, 0, pattern_bytes(2, 0, 64 * K), "write n") == 0);
    btrfs_inode& p = create_file(fs, "p");
    REQUIRE(btrfs_fallocate(fs, p, false, 0, 128 * K, "fallocate p") == 0);
    REQUIRE(btrfs_direct_write(fs, p, 32 * K, pattern_bytes(3, 32 * K, 16 * K), "dio p") == 0);
    REQUIRE(btrfs_sync_fs(fs) == 0);
    REQUIRE(btrfs_ioctl_snap_create(fs, kFsTree, kFsTree, "snap", true, nullptr) == 0);
    REQUIRE(btrfs_buffered_write(fs, a, 64 * K, pattern_bytes(4, 64 * K, 32 * K), "overwrite a") == 0);
    REQUIRE(btrfs_direct_write(fs, n, 8 * K, pattern_bytes(5, 8 * K, 8 * K), "dio n") == 0);
    REQUIRE(btrfs_sync_fs(fs) == 0);
    btrfs_iput(fs, a);
    btrfs_iput(fs, n);
    btrfs_iput(fs, p);
  });
}

int relocate_group(btrfs_fs_info& fs, uint64_t start) {
  int ret = 1;
  run_in_fiber([&] {
    fs.reclaim_bgs_lock.lock();
    ret = btrfs_relocate_chunk(fs, start);
    fs.reclaim_bgs_lock.unlock();
    REQUIRE(btrfs_commit_current(fs) == 0);
  });
  return ret;
}

void check_clean(const btrfs_fs_info& fs) {
  const auto problems = btrfs_check(fs);
  INFO(fmt::format("fsck:\n{}", fmt::join(problems, "\n")));
  CHECK(problems.empty());
  const auto lost = btrfs_check_data_against_oracle(fs);
  INFO(fmt::format("oracle:\n{}", fmt::join(lost, "\n")));
  CHECK(lost.empty());
}

}  // namespace

TEST_CASE("relocating the data group moves every data extent and repoints every file, snapshots included",
          "[model][relocation]") {
  for (bool fixes_on : {false, true}) {
    DYNAMIC_SECTION("fixes " << (fixes_on ? "on" : "off")) {
      auto fs = make_fs();
      fs->fixes = fixes_on ? fix_set::all_on() : fix_set::all_off();
      populate_data(*fs);
      block_group_ptr data = first_group_of(*fs, BTRFS_BLOCK_GROUP_DATA);
      REQUIRE(data);
      const uint64_t start = data->start, len = data->length;
      const size_t before = file_extents_in(*fs, start, len), total = all_file_extents(*fs).size();
      REQUIRE(before >= 6);
      REQUIRE(data->used > 0);

      REQUIRE(relocate_group(*fs, start) == 0);

      check_clean(*fs);
      CHECK(file_extents_in(*fs, start, len) == 0);
      CHECK(all_file_extents(*fs).size() == total);
      CHECK(fs->block_group_cache_tree.count(start) == 0);
      CHECK(btrfs_get_chunk_map(*fs, start) == nullptr);
      CHECK(fs->reloc_stats.data_extents_moved > 0);
      CHECK(fs->reloc_stats.file_extents_updated >= before);
      CHECK(fs->reloc_stats.data_extents_skipped == 0);
    }
  }
}

TEST_CASE("files written after relocating the data group are still fine, and a second relocation works",
          "[model][relocation]") {
  auto fs = make_fs();
  fs->fixes = fix_set::all_on();
  populate_data(*fs);
  const uint64_t first = first_group_of(*fs, BTRFS_BLOCK_GROUP_DATA)->start;
  REQUIRE(relocate_group(*fs, first) == 0);
  run_in_fiber([&] {
    btrfs_inode& a = open_file(*fs, "a");
    REQUIRE(btrfs_buffered_write(*fs, a, 0, pattern_bytes(6, 0, 16 * K), "rewrite a") == 0);
    REQUIRE(btrfs_sync_fs(*fs) == 0);
    btrfs_iput(*fs, a);
  });
  const uint64_t second = first_group_of(*fs, BTRFS_BLOCK_GROUP_DATA)->start;
  REQUIRE(second != first);
  REQUIRE(relocate_group(*fs, second) == 0);
  check_clean(*fs);
  CHECK(fs->reloc_stats.block_groups_relocated == 2);
}

TEST_CASE("a full balance relocates every chunk and keeps data and trees consistent", "[model][relocation][balance]") {
  auto fs = make_fs();
  fs->fixes = fix_set::for_kernel("4.7");
  populate_data(*fs);
  std::vector<uint64_t> old_groups;
  for (const auto& [start, bg] : fs->block_group_cache_tree) old_groups.push_back(start);
  int ret = 1;
  run_in_fiber([&] {
    ret = btrfs_balance(*fs, btrfs_balance_control{});
    REQUIRE(btrfs_commit_current(*fs) == 0);
  });
  CHECK(ret == 0);
  for (uint64_t start : old_groups) CHECK(fs->block_group_cache_tree.count(start) == 0);
  check_clean(*fs);
}

TEST_CASE("balance usage and limit filters choose which data chunks move", "[model][relocation][balance]") {
  auto fs = make_fs();
  populate_data(*fs);
  const uint64_t data_start = first_group_of(*fs, BTRFS_BLOCK_GROUP_DATA)->start;
  int ret = 1;
  run_in_fiber([&] {
    btrfs_balance_control bctl;
    bctl.flags = BTRFS_BALANCE_DATA;
    bctl.data.usage = 0;  // only empty chunks: none
    ret = btrfs_balance(*fs, bctl);
  });
  CHECK(ret == 0);
  CHECK(fs->block_group_cache_tree.count(data_start) == 1);
  run_in_fiber([&] {
    btrfs_balance_control bctl;
    bctl.flags = BTRFS_BALANCE_DATA;
    bctl.data.usage = 90;
    bctl.data.limit = 1;
    ret = btrfs_balance(*fs, bctl);
    REQUIRE(btrfs_commit_current(*fs) == 0);
  });
  CHECK(ret == 0);
  CHECK(fs->block_group_cache_tree.count(data_start) == 0);
  CHECK(fs->reloc_stats.block_groups_relocated == 1);
  check_clean(*fs);
}
