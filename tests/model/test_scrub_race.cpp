// Seed race 001 (020d5b7366fc, fstest btrfs/071): scrub vs the cleaner deleting an unused block group.
// Scrub finds the group's dev extent in the dev tree commit root and the group in the cache; the
// cleaner removes the chunk (dev extents, block group, extent map) before scrub_chunk looks up the
// mapping: without the fix scrub returns -EINVAL to user space; with it the removed group is skipped.
#include <catch2/catch.hpp>

#include "model/data/file.hpp"
#include "model/maint/cleaner.hpp"
#include "model/maint/scrub.hpp"
#include "model/mkfs.hpp"
#include "tests/model/test_scrub_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test;

namespace {

constexpr const char* kFix = "020d5b7366fc";

struct scrub_vs_deletion {
  std::unique_ptr<btrfs_fs_info> prepared;
  uint64_t devid = 0;  // the device holding the unused group
  std::vector<op_thread> threads;
  race_checker check;

  scrub_vs_deletion() {
    // Three devices: mkfs puts the system chunk on devid 1, metadata on devid 2 and the first data chunk
    // on devid 3; a second data chunk goes to devid 1. Both data groups are empty: the cleaner deletes
    // the first (the second is then the last of its kind) while scrub walks devid 3, which holds
    // nothing else. (Scrubbing the device with the system chunk as well makes the cleaner deadlock on
    // chunk_mutex in the model's btrfs_remove_chunk; reported to the model core.)
    mkfs_options o;
    o.device_sizes = {1ull << 30, 1ull << 30, 1ull << 30};
    prepared = make_fs(o);
    run_in_fiber([&] {
      REQUIRE(btrfs_force_chunk_alloc(*prepared, BTRFS_BLOCK_GROUP_DATA, 1) == 0);
      REQUIRE(btrfs_mark_empty_bgs_unused(*prepared) >= 2);
    });
    // The list may also hold groups that were empty for a moment during mkfs (the cleaner skips them).
    uint64_t doomed = 0;
    for (uint64_t start : prepared->unused_bgs)
      if (!doomed && (prepared->block_group_cache_tree.at(start)->flags & BTRFS_BLOCK_GROUP_DATA)) doomed = start;
    devid = prepared->mapping_tree.at(doomed)->stripes[0].devid;
    REQUIRE(devid == 3);
    freeze(*prepared);
    threads = {
        {"scrub", [this](btrfs_fs_info& fs) { return btrfs_scrub_dev(fs, devid, 0, ~0ull, nullptr, false, false); }},
        {"cleaner", [](btrfs_fs_info& fs) {
           btrfs_delete_unused_bgs(fs);
           return 0;
         }},
    };
    check = [](const btrfs_fs_info& fs, const std::vector<int>& rets, const sched::Execution&) {
      std::vector<std::string> problems;
      if (rets[0] != 0) problems.push_back(fmt::format("scrub returned {} to user space", rets[0]));
      for (auto& p : btrfs_check(fs)) problems.push_back(p);
      return problems;
    };
  }
};

fix_set fixes_with(bool on) {
  fix_set f = fix_set::all_on();
  f.set(kFix, on);
  return f;
}

}  // namespace

TEST_CASE("scrub vs block group deletion: the default schedules are clean either way", "[model][scrub][race]") {
  scrub_vs_deletion env;
  for (bool on : {false, true}) {
    auto x = explore_dfs(*env.prepared, fixes_with(on), env.threads, env.check, 0, 100, false);
    INFO(x.problem);
    CHECK_FALSE(x.found);
    CHECK(x.exhausted);
  }
}

TEST_CASE("scrub vs block group deletion: PCT finds -EINVAL without 020d5b7366fc", "[model][scrub][race]") {
  scrub_vs_deletion env;
  auto x = explore_pct(*env.prepared, fixes_with(false), env.threads, env.check, 3, 2000, 71, true);
  INFO("executions " << x.executions << ", longest " << x.max_steps << " steps");
  REQUIRE(x.found);
  CHECK(x.problem == "scrub returned -22 to user space");
}

TEST_CASE("scrub vs block group deletion: DFS (preemption bound 2) finds -EINVAL without 020d5b7366fc",
          "[model][scrub][race]") {
  scrub_vs_deletion env;
  auto x = explore_dfs(*env.prepared, fixes_with(false), env.threads, env.check, 2, 200000, true);
  INFO("executions " << x.executions);
  REQUIRE(x.found);
  CHECK(x.problem == "scrub returned -22 to user space");
}

TEST_CASE("scrub vs block group deletion: clean with 020d5b7366fc (DFS bound 2 exhaustive, 2000 PCT runs)",
          "[model][scrub][race]") {
  scrub_vs_deletion env;
  auto dfs = explore_dfs(*env.prepared, fixes_with(true), env.threads, env.check, 2, 1000000, true);
  INFO("DFS executions " << dfs.executions << ": " << dfs.problem);
  CHECK_FALSE(dfs.found);
  CHECK(dfs.exhausted);
  WARN("scrub vs deletion, fix on: DFS preemption bound 2 explored " << dfs.executions << " schedules (exhausted="
       << dfs.exhausted << "), longest " << dfs.max_steps << " steps");
  auto pct = explore_pct(*env.prepared, fixes_with(true), env.threads, env.check, 3, 2000, 4, true);
  INFO("PCT: " << pct.problem);
  CHECK_FALSE(pct.found);
  CHECK(pct.executions == 2000);
}
