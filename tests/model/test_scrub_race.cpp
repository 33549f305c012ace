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
    devid = prepared->dev(prepared->mapping_tree.at(doomed)->stripes[0].dev).devid;
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

// As 5.7: from 5.8 on scrub freezes the group it works on (2473d24f2b77), so a group removed under it keeps
// its extent map and scrub_chunk always finds it (see the last test of this file).
fix_set fixes_with(bool on) {
  fix_set f = fix_set::all_on();
  f.set(kFix, on);
  f.set("2473d24f2b77", false);
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

TEST_CASE("scrub vs block group deletion: clean with 020d5b7366fc (DFS bound 2 exhaustive and 2000 PCT runs)",
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

TEST_CASE("scrub vs block group deletion: with 2473d24f2b77 (scrub freezes its group) the window is closed even "
          "without 020d5b7366fc (DFS bound 2 exhaustive)",
          "[model][scrub][race][freeze]") {
  scrub_vs_deletion env;
  fix_set f = fix_set::all_on();
  f.set(kFix, false);
  uint64_t kept_map = 0;  // executions where the cleaner removed the group while scrub had it frozen
  const race_checker check = [&](const btrfs_fs_info& fs, const std::vector<int>& rets, const sched::Execution& e) {
    const size_t frozen = find_step(e, "scrub", "btrfs_freeze_block_group(");
    const size_t removed = find_step(e, "cleaner", "btrfs_remove_block_group(");
    const size_t unfrozen = find_step(e, "scrub", "btrfs_unfreeze_block_group(");
    if (frozen != std::string::npos && removed != std::string::npos && unfrozen != std::string::npos &&
        frozen < removed && removed < unfrozen)
      kept_map++;
    return env.check(fs, rets, e);
  };
  auto dfs = explore_dfs(*env.prepared, f, env.threads, check, 2, 1000000, true);
  INFO("DFS executions " << dfs.executions << ": " << dfs.problem);
  CHECK_FALSE(dfs.found);
  CHECK(dfs.exhausted);
  CHECK(kept_map > 0);
}

TEST_CASE("scrub vs a writer that commits: scrubs pause for the commit without deadlock or error "
          "(DFS bound 1 exhaustive and 500 PCT runs)",
          "[model][scrub][race]") {
  // raid1 data: devid 1 holds the system chunk and a copy of the data, whose extent items the writer's
  // commit adds. (Scrubbing the metadata device would read tree blocks of the new commit root before the
  // commit writes them: the model's commit lets scrubs continue before btrfs_write_and_wait_transaction,
  // the kernel only at its end; reported to the model core.)
  mkfs_options o;
  o.device_sizes = {1ull << 30, 1ull << 30};
  o.data_profile = "raid1";
  auto prepared = make_fs(o);
  run_in_fiber([&] {
    write_file(*prepared, "a", 0, 16 * 1024, 1);
    REQUIRE(btrfs_sync_fs(*prepared) == 0);
  });
  freeze(*prepared);
  const std::vector<op_thread> threads = {
      {"scrub", [](btrfs_fs_info& fs) {
         btrfs_scrub_progress p;
         const int ret = btrfs_scrub_dev(fs, 1, 0, ~0ull, &p, true, false);
         return ret ? ret : p.total_errors() ? -EIO : 0;
       }},
      {"writer", [](btrfs_fs_info& fs) {
         write_file(fs, "b", 0, 4096, 2);
         return btrfs_sync_fs(fs);
       }},
  };
  uint64_t paused = 0;  // executions where the writer's commit switched roots while the scrub ran
  const race_checker check = [&paused](const btrfs_fs_info& fs, const std::vector<int>& rets, const sched::Execution& e) {
    const size_t started = find_step(e, "scrub", "btrfs_scrub_dev(");
    const size_t switched = find_step(e, "writer", "switch_commit_roots(");
    const size_t last_scrub_step = [&] {
      size_t last = 0;
      for (size_t i = 0; i < e.trace.size(); ++i)
        if (e.fiber_names.at(e.trace[i].fiber) == "scrub") last = i;
      return last;
    }();
    if (switched != std::string::npos && started < switched && switched < last_scrub_step) paused++;
    std::vector<std::string> problems;
    if (rets[0] != 0) problems.push_back(fmt::format("scrub returned {} (errors counted as -EIO)", rets[0]));
    if (rets[1] != 0) problems.push_back(fmt::format("sync returned {}", rets[1]));
    for (auto& p : end_state_problems(fs)) problems.push_back(p);
    return problems;
  };
  auto dfs = explore_dfs(*prepared, fix_set::all_on(), threads, check, 1, 100000, true);
  INFO("DFS " << dfs.executions << ": " << dfs.problem);
  CHECK_FALSE(dfs.found);
  CHECK(dfs.exhausted);
  auto pct = explore_pct(*prepared, fix_set::all_on(), threads, check, 3, 500, 9, true);
  INFO("PCT: " << pct.problem);
  CHECK_FALSE(pct.found);
  CHECK(paused > 0);
}
