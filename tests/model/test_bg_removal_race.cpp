// Block group removal races at the model level:
//  - 8eaf40c0e24e: the cleaner removes the last block group in logical order while a chunk is allocated;
//    without the fix the extent map goes before the block group item, the new chunk gets the same start
//    and its item insert fails with -EEXIST: a transaction abort.
//  - 758f2dfcf8a2: scrub sets an unused group read-only just before the cleaner checks it; without the fix
//    nobody puts it back on unused_bgs and it is never deleted.
#include <catch2/catch.hpp>

#include "model/block_group.hpp"
#include "model/data/file.hpp"
#include "model/maint/cleaner.hpp"
#include "model/maint/scrub.hpp"
#include "tests/model/test_scrub_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test;

namespace {

// One device; the first data group holds a file, a second, empty data group (the highest start) is on
// unused_bgs, as after mount.
struct unused_last_group {
  std::unique_ptr<btrfs_fs_info> prepared;
  uint64_t empty_start = 0;

  unused_last_group() {
    mkfs_options o;
    o.device_sizes = {512ull << 20};
    prepared = make_fs(o);
    run_in_fiber([&] {
      write_file(*prepared, "a", 0, 64 * 1024, 1);
      REQUIRE(btrfs_sync_fs(*prepared) == 0);
      REQUIRE(btrfs_force_chunk_alloc(*prepared, BTRFS_BLOCK_GROUP_DATA, 1) == 0);
      btrfs_mark_empty_bgs_unused(*prepared);
    });
    empty_start = std::prev(prepared->block_group_cache_tree.end())->first;
    REQUIRE(prepared->block_group_cache_tree.at(empty_start)->used == 0);
    REQUIRE(prepared->block_group_cache_tree.at(empty_start)->on_unused_list);
    freeze(*prepared);
  }
};

fix_set with(const char* fix, bool on) {
  fix_set f = fix_set::all_on();
  f.set(fix, on);
  return f;
}

std::vector<std::string> fsck_and_returns(const btrfs_fs_info& fs, const std::vector<int>& rets) {
  std::vector<std::string> problems;
  for (size_t i = 0; i < rets.size(); ++i)
    if (rets[i] != 0) problems.push_back(fmt::format("thread {} returned {}", i, rets[i]));
  for (auto& p : btrfs_check(fs)) problems.push_back(p);
  return problems;
}

}  // namespace

TEST_CASE("block group removal vs chunk allocation (8eaf40c0e24e): -EEXIST abort without the fix, clean with it",
          "[model][cleaner][race]") {
  unused_last_group env;
  const std::vector<op_thread> threads = {
      {"cleaner", [](btrfs_fs_info& fs) {
         btrfs_delete_unused_bgs(fs);
         return 0;
       }},
      {"allocator", [](btrfs_fs_info& fs) { return btrfs_force_chunk_alloc(fs, BTRFS_BLOCK_GROUP_DATA, 1); }},
  };
  const uint64_t start = env.empty_start;
  // The new chunk takes the removed one's start in some schedules: with the fix that is fine.
  uint64_t reused = 0;
  race_checker check = [&](const btrfs_fs_info& fs, const std::vector<int>& rets, const sched::Execution&) {
    auto it = fs.block_group_cache_tree.find(start);
    reused += it != fs.block_group_cache_tree.end();
    return fsck_and_returns(fs, rets);
  };
  auto off = explore_pct(*env.prepared, with("8eaf40c0e24e", false), threads, check, 3, 2000, 0, true);
  REQUIRE(off.found);
  CHECK_THAT(off.problem, Catch::Contains("WARN: WARNING at btrfs_create_pending_block_groups: BTRFS: Transaction "
                                          "aborted (error -17)"));
  reused = 0;
  auto on = explore_dfs(*env.prepared, with("8eaf40c0e24e", true), threads, check, 1, 100000, true);
  INFO(on.problem);
  CHECK_FALSE(on.found);
  CHECK(on.exhausted);
  CHECK(reused > 0);
}

TEST_CASE("scrub vs the cleaner on an unused group (758f2dfcf8a2): left off unused_bgs without the fix",
          "[model][scrub][cleaner][race]") {
  unused_last_group env;
  const std::vector<op_thread> threads = {
      {"scrub", [](btrfs_fs_info& fs) { return btrfs_scrub_dev(fs, 1, 0, ~0ull, nullptr, false, false); }},
      {"cleaner", [](btrfs_fs_info& fs) {
         btrfs_delete_unused_bgs(fs);
         return 0;
       }},
  };
  const uint64_t start = env.empty_start;
  race_checker check = [start](const btrfs_fs_info& fs, const std::vector<int>& rets, const sched::Execution&) {
    auto problems = fsck_and_returns(fs, rets);
    auto it = fs.block_group_cache_tree.find(start);
    // The data group itself: a system chunk that check_system_chunk allocates when scrub makes the system group
    // read-only (6.1) may take the removed group's start.
    if (it != fs.block_group_cache_tree.end() && (it->second->flags & BTRFS_BLOCK_GROUP_DATA) && !it->second->ro &&
        !it->second->on_unused_list)
      problems.push_back(fmt::format("empty block group {} is on no list", start));
    return problems;
  };
  auto off = explore_pct(*env.prepared, with("758f2dfcf8a2", false), threads, check, 3, 2000, 0, true);
  REQUIRE(off.found);
  CHECK_THAT(off.problem, Catch::Contains("is on no list"));
  auto on = explore_dfs(*env.prepared, with("758f2dfcf8a2", true), threads, check, 1, 100000, true);
  INFO(on.problem);
  CHECK_FALSE(on.found);
  CHECK(on.exhausted);
}
