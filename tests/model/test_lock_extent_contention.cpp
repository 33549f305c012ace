// lock_extent under contention (9e769bd7e5db, v6.1) and -o flushoncommit (transaction.c
// btrfs_start_delalloc_flush / btrfs_wait_delalloc_flush).
//   With the fix lock_extent holds nothing while it waits for a locked part of its range; before it
//   (6.1.0's loop) it kept what it had locked below the first locked byte. With flushoncommit a commit
//   writes back all delalloc and waits for every ordered extent before COMMIT_DOING. Together: the
//   deadlock of scenarios/read-vs-fallocate-flushoncommit.json.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "model/data/extent_io_tree.hpp"
#include "model/data/file.hpp"
#include "model/data/inode.hpp"
#include "model/data/ordered_data.hpp"
#include "model/data/wait.hpp"
#include "model/discard.hpp"
#include "model/items.hpp"
#include "tests/model/race_dfs.hpp"
#include "tests/model/scenario_explore.hpp"
#include "tests/model/test_data_fixture.hpp"
#include "tests/model/test_scrub_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test;

namespace {

constexpr uint64_t K = 1024;
constexpr const char* kFix = "9e769bd7e5db";
const char* const kScenario = FSRACE_SOURCE_DIR "/scenarios/read-vs-fallocate-flushoncommit.json";

fix_set fixes_with(bool on) {
  fix_set f = fix_set::all_on();
  f.set(kFix, on);
  return f;
}

// One execution (DFS, no preemption): "holder" locks `held` ranges, lets "locker" run into
// lock_extent(0, 128K), records what is locked while the locker waits, then unlocks its ranges one by
// one, recording again after each.
std::vector<std::vector<std::pair<uint64_t, uint64_t>>> contention_snapshots(
    const btrfs_fs_info& prepared, bool fix_on, const std::vector<std::pair<uint64_t, uint64_t>>& held) {
  btrfs_fs_info fs = prepared;
  fs.fixes = fixes_with(fix_on);
  btrfs_inode inode;
  inode.ino = 300;
  sched::WaitList started;
  bool locker_started = false;
  std::vector<std::vector<std::pair<uint64_t, uint64_t>>> snaps;
  auto snap = [&] {
    snaps.emplace_back(inode.io_tree.locked.ranges().begin(), inode.io_tree.locked.ranges().end());
  };
  sched::Scheduler s;
  s.spawn("holder", [&] {
    for (auto [a, b] : held) lock_extent(fs, inode, a, b);
    wait_until(started, sched::L("test: locker started"), [&] { return locker_started; });
    sched::point(sched::L("test: locker waits"));  // the locker runs until it sleeps in lock_extent
    snap();
    for (auto [a, b] : held) {
      unlock_extent(inode, a, b);
      sched::point(sched::L("test: after unlock"));
      snap();
    }
  });
  s.spawn("locker", [&] {
    locker_started = true;
    started.wake_all();
    lock_extent(fs, inode, 0, 128 * K);
    snap();
    unlock_extent(inode, 0, 128 * K);
  });
  sched::DfsStrategy dfs(0);
  const sched::Execution e = s.run(dfs, 0);
  INFO(e.finding.message);
  REQUIRE(e.finding.kind == sched::FindingKind::None);
  CHECK(inode.io_tree.locked.empty());
  return snaps;
}

using ranges = std::vector<std::pair<uint64_t, uint64_t>>;

// Three tasks on one io tree: "big" locks [0, 128K); "holder" locks [64K, 128K) and, holding it, waits
// for "small", which locks [0, 4K) (holder's wait stands for fallocate waiting for a commit that waits
// for an ordered extent completion). Deadlocks only if big keeps [0, 64K) while waiting for holder.
struct holder_waits_for_small {
  struct result {
    sched::Execution e;
    bool found() const { return e.finding.kind != sched::FindingKind::None; }
  };
  const btrfs_fs_info* prepared;
  result run(sched::Scheduler& s, sched::Strategy& strategy, uint64_t seed, const fix_set& fixes) const {
    btrfs_fs_info fs = *prepared;
    fs.fixes = fixes;
    btrfs_inode inode;
    inode.ino = 300;
    sched::WaitList small_done_wait;
    bool small_done = false;
    s.spawn("big", [&] {
      lock_extent(fs, inode, 0, 128 * K);
      unlock_extent(inode, 0, 128 * K);
    });
    s.spawn("holder", [&] {
      lock_extent(fs, inode, 64 * K, 128 * K);
      wait_until(small_done_wait, sched::L("test: wait for small"), [&] { return small_done; });
      unlock_extent(inode, 64 * K, 128 * K);
    });
    s.spawn("small", [&] {
      lock_extent(fs, inode, 0, 4 * K);
      unlock_extent(inode, 0, 4 * K);
      small_done = true;
      small_done_wait.wake_all();
    });
    return result{s.run(strategy, seed)};
  }
};

}  // namespace

TEST_CASE("lock_extent: what a waiter holds, with and without 9e769bd7e5db", "[model][lock_extent]") {
  auto fs = make_fs();
  SECTION("one locked range: before the fix the free part below it stays locked during the wait") {
    const ranges held = {{64 * K, 96 * K}};
    auto off = contention_snapshots(*fs, false, held);
    REQUIRE(off.size() == 3);
    CHECK(off[0] == ranges{{0, 96 * K}});  // [0, 64K) the locker's, [64K, 96K) the holder's
    CHECK(off[1] == ranges{{0, 64 * K}});  // the holder let go; the locker, woken, has not run yet
    CHECK(off[2] == ranges{{0, 128 * K}});
    auto on = contention_snapshots(*fs, true, held);
    REQUIRE(on.size() == 3);
    CHECK(on[0] == ranges{{64 * K, 96 * K}});  // the locker holds nothing while it waits
    CHECK(on[1].empty());
    CHECK(on[2] == ranges{{0, 128 * K}});
  }
  SECTION("two locked ranges: the waiter takes nothing more until all of the rest is free (wait_extent_bit)") {
    const ranges held = {{32 * K, 48 * K}, {96 * K, 112 * K}};
    auto off = contention_snapshots(*fs, false, held);
    REQUIRE(off.size() == 4);
    CHECK(off[0] == ranges{{0, 48 * K}, {96 * K, 112 * K}});
    CHECK(off[1] == ranges{{0, 32 * K}, {96 * K, 112 * K}});
    CHECK(off[2] == ranges{{0, 32 * K}});
    CHECK(off[3] == ranges{{0, 128 * K}});
    auto on = contention_snapshots(*fs, true, held);
    REQUIRE(on.size() == 4);
    CHECK(on[0] == held);
    CHECK(on[1] == ranges{{96 * K, 112 * K}});
    CHECK(on[2].empty());
    CHECK(on[3] == ranges{{0, 128 * K}});
  }
}

TEST_CASE("lock_extent: keeping a locked part while waiting closes a cycle (9e769bd7e5db)", "[model][lock_extent]") {
  auto fs = make_fs();
  holder_waits_for_small env{fs.get()};
  SECTION("before the fix: deadlock") {
    auto x = explore_dfs_until_found(env, fixes_with(false), 1, 100000, 100000);
    REQUIRE(x.failure);
    CHECK(x.failure->e.finding.kind == sched::FindingKind::Deadlock);
    CHECK(x.executions == 6);  // measured
  }
  SECTION("with the fix: DFS bound 2 exhausted clean") {
    auto x = explore_dfs_until_found(env, fixes_with(true), 2, 100000, 100000);
    CHECK_FALSE(x.failure);
    CHECK(x.exhausted);
    CHECK(x.executions == 146);  // measured
  }
}

TEST_CASE("flushoncommit: a commit leaves no delalloc and no ordered extent of data written before it",
          "[model][flushoncommit]") {
  for (const bool flushoncommit : {true, false}) {
    CAPTURE(flushoncommit);
    auto fs = make_fs();
    fs->fixes = fix_set::all_on();
    if (flushoncommit) fs->mount_opt |= BTRFS_MOUNT_FLUSHONCOMMIT;
    CHECK(btrfs_test_opt_flushoncommit(*fs) == flushoncommit);
    run_in_fiber([&] {
      btrfs_inode& a = write_file(*fs, "a", 0, 64 * K, 1);
      btrfs_inode& b = write_file(*fs, "b", 0, 16 * K, 2);
      std::vector<uint8_t> data(32 * K);
      fill_pattern(3, 64 * K, data);
      REQUIRE(btrfs_direct_write(*fs, b, 64 * K, data, "dio b") == 0);  // its completion is queued
      REQUIRE(btrfs_commit_current(*fs) == 0);
      btrfs_root& root = *fs->get_fs_root(kFsRoot);
      const bool a_item = in_commit_root(*fs, root, {a.ino, BTRFS_EXTENT_DATA_KEY, 0});
      const bool b_dio_item = in_commit_root(*fs, root, {b.ino, BTRFS_EXTENT_DATA_KEY, 64 * K});
      if (flushoncommit) {
        CHECK(a.delalloc_bytes == 0);
        CHECK(b.delalloc_bytes == 0);
        CHECK(btrfs_root_data_of(*fs, kFsRoot).ordered_extents.empty());
        CHECK(a_item);
        CHECK(b_dio_item);
        CHECK(in_commit_root(*fs, root, {b.ino, BTRFS_EXTENT_DATA_KEY, 0}));
      } else {
        CHECK(a.delalloc_bytes == 64 * K);  // the commit left the dirty pages alone
        CHECK_FALSE(a_item);
      }
      REQUIRE(btrfs_sync_fs(*fs) == 0);
    });
    CHECK(end_state_problems(*fs).empty());
  }
}

TEST_CASE("read-vs-fallocate-flushoncommit: before 9e769bd7e5db the read, fallocate, the commit and the ordered "
          "extent deadlock", "[lock_extent][flushoncommit][sim]") {
  const sim::exploration e = explore_scenario_dfs(kScenario, false, 1);
  REQUIRE(e.violations.size() == 1);
  INFO(e.violations[0].finding.message);
  CHECK(e.violations[0].finding.kind == sched::FindingKind::Deadlock);
  CHECK(e.executions == 16960);  // measured: the last schedule of bound 1, about 45 s
}

TEST_CASE("read-vs-fallocate-flushoncommit: with 9e769bd7e5db DFS bound 0 is exhausted clean",
          "[lock_extent][flushoncommit][sim]") {
  // Bound 1 is exhausted clean too (415,596 executions, about 14 minutes: not a unit test).
  const sim::exploration e = explore_scenario_dfs(kScenario, true, 0);
  INFO((e.violations.empty() ? std::string() : e.violations[0].finding.message));
  INFO((e.tool_error ? e.tool_error->finding.message : std::string()));
  CHECK(e.violations.empty());
  CHECK_FALSE(e.tool_error);
  CHECK(e.exhausted);
  CHECK(e.executions == 1136);  // measured
}
