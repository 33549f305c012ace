// Seed race 000 (f0e9b7d64019): device replace vs a buffered write. A writer reserves an extent in a
// data block group X of the source device just before the replace sets X read-only; its ordered extent
// completes while the copy walks the extent tree's commit root, which shows the new extent item only
// after the next commit: the extent is never copied, its write was not duplicated (the 4.6-era write
// path duplicates only below dev_replace->cursor_left) and, once the source is gone, the data is lost.
// The fix waits for reservations, nocow writers and ordered extents in X and commits.
//
// Each execution is classified from its trace by where the writer's extent in X was when the copy
// began walking X (scrub_chunk). The seed's interleaving: the extent was reserved, and counted in
// X's reservations, before X went read-only, and its ordered extent completes while the copy walks
// ("the ordered extents finish while we are searching for extents using the extent tree's commit
// root"). With the fix that cannot happen any more: the copy waits for counted reservations and for
// the ordered extents in X, then commits. Two other interleavings still lose the write with the fix
// on, and the model finds both: the ordered extent completed before the walk without a commit (the fix
// commits only if it waited for an ordered extent), or the reservation was taken before X went
// read-only but counted just after (find_free_extent increments block_group->reservations after
// releasing the group's lock). 22ab04e814f4 (same release) closes the class: every write to the source
// is duplicated to the target while the replace runs, whatever the cursor. The fix settings here are
// kernel 4.7's with f0e9b7d64019 as asked and 22ab04e814f4 off unless a test turns it on
// (scenarios/dev-replace-vs-write.json covers the two together, with a nocow writer).
//
// Layout: two 4 GiB devices; mkfs puts the system chunk and the first data chunk (X) on devid 1 and the
// metadata on devid 2; a second data chunk lands on devid 2, so a writer refused by a read-only X
// allocates off the source instead of allocating a chunk mid-replace (another race of the same series).
#include <catch2/catch.hpp>

#include "model/data/file.hpp"
#include "model/data/writeback.hpp"
#include "model/maint/cleaner.hpp"
#include "model/maint/dev_replace.hpp"
#include "model/mkfs.hpp"
#include "tests/model/test_scrub_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test;

namespace {

constexpr const char* kFix = "f0e9b7d64019";

enum class at_walk { in_flight, completed_before, uncounted_at_read_only, not_in_x, never_walked };

struct replace_vs_write {
  std::unique_ptr<btrfs_fs_info> prepared;
  uint64_t x_start = 0;  // the data group on the source device
  std::vector<op_thread> threads;

  replace_vs_write() {
    mkfs_options o;
    o.device_sizes = {4ull << 30, 4ull << 30};
    prepared = make_fs(o);
    run_in_fiber([&] {
      write_file(*prepared, "a", 0, 16 * 1024, 1);
      REQUIRE(btrfs_sync_fs(*prepared) == 0);
      REQUIRE(btrfs_force_chunk_alloc(*prepared, BTRFS_BLOCK_GROUP_DATA, 1) == 0);
      // A scrub first: with the only system group read-only, check_system_chunk (btrfs_inc_block_group_ro's
      // out:) allocates a second system chunk; made here, the replace's own scrub of a system group finds the
      // other's room and allocates none (a chunk allocated during the replace is 22ab04e814f4's race, which
      // these tests leave off).
      for (uint64_t devid : {1, 2}) REQUIRE(btrfs_scrub_dev(*prepared, devid, 0, ~0ull, nullptr, false, false) == 0);
      REQUIRE(btrfs_sync_fs(*prepared) == 0);
    });
    std::vector<uint64_t> data_devids;
    for (auto& [start, bg] : prepared->block_group_cache_tree) {
      if (!(bg->flags & BTRFS_BLOCK_GROUP_DATA)) continue;
      data_devids.push_back(prepared->dev(prepared->mapping_tree.at(start)->stripes[0].dev).devid);
      if (!x_start) x_start = start;
    }
    REQUIRE(data_devids == std::vector<uint64_t>{1, 2});
    freeze(*prepared);
    threads = {
        {"replace", [](btrfs_fs_info& fs) { return btrfs_dev_replace_by_ioctl(fs, 1, 4ull << 30, "new"); }},
        {"writer", [](btrfs_fs_info& fs) {
           btrfs_inode& inode = write_file(fs, "a", 16 * 1024, 4096, 2);
           return btrfs_fdatawrite_range(fs, inode, 0, ~0ull);
         }},
    };
  }

  // The step in which X went read-only: btrfs_inc_block_group_ro(X) sets it in the step that takes
  // ro_block_group_mutex (the last time, after any DIRTY_BG_RUN back-off) before the walk.
  size_t ro_step(const sched::Execution& e, size_t walk) const {
    const size_t entry = find_step(e, "replace", fmt::format("btrfs_inc_block_group_ro(bg {})", x_start));
    if (entry == std::string::npos) return entry;
    size_t ro = std::string::npos;
    for (size_t i = entry; i < e.trace.size() && i < walk; ++i)
      if (e.fiber_names.at(e.trace[i].fiber) == "replace" &&
          sched::format_label(e.trace[i].label) == "mutex_lock(fs_info->ro_block_group_mutex)")
        ro = i;
    return ro;
  }

  at_walk classify(const sched::Execution& e) const {
    const size_t walk = find_step(e, "replace", fmt::format("scrub_chunk(chunk {})", x_start));
    const size_t ro = ro_step(e, walk);
    const size_t reserve = find_step(e, "writer", "find_free_extent(type 0x1");
    const size_t counted = find_step(e, "writer", "atomic_inc(block_group->reservations)");
    const size_t done = find_step(e, "", "btrfs_remove_ordered_extent(ino 257");
    if (walk == std::string::npos) return at_walk::never_walked;
    if (reserve == std::string::npos || reserve > ro) return at_walk::not_in_x;  // X was read-only: elsewhere
    if (done < walk) return at_walk::completed_before;
    return counted < ro ? at_walk::in_flight : at_walk::uncounted_at_read_only;
  }

  struct tally {
    uint64_t in_flight = 0;  // executions of the seed's interleaving
    uint64_t lost_in_flight = 0, lost_residual = 0;
  };
  // Every problem but losses of the classes not asked for; `t` counts by class.
  race_checker checker(bool report_in_flight, bool report_residual, tally* t) const {
    return [=, this](const btrfs_fs_info& fs, const std::vector<int>& rets, const sched::Execution& e) {
      std::vector<std::string> problems;
      if (rets[0] != 0) problems.push_back(fmt::format("replace returned {}", rets[0]));
      if (rets[1] != 0) problems.push_back(fmt::format("writer returned {}", rets[1]));
      const at_walk where = classify(e);
      if (where == at_walk::in_flight) t->in_flight++;
      auto end = end_state_problems(fs);
      const bool lost = !end.empty() && end.front().rfind("lost data: file a", 0) == 0;
      if (!lost) {
        for (auto& p : end) problems.push_back(p);
      } else if (where == at_walk::in_flight) {
        t->lost_in_flight++;
        if (report_in_flight) problems.push_back("in flight at the walk: " + end.front());
      } else if (where == at_walk::completed_before || where == at_walk::uncounted_at_read_only) {
        t->lost_residual++;
        if (report_residual)
          problems.push_back(std::string(where == at_walk::completed_before ? "completed before the walk: "
                                                                              : "reservation counted after read-only: ") +
                             end.front());
      } else {
        problems.push_back("unexpected " + end.front());
      }
      return problems;
    };
  }
};

fix_set fixes_with(bool on, bool dup_every_write = false) {
  fix_set f = fix_set::for_kernel("4.7");
  f.set(kFix, on);
  f.set("22ab04e814f4", dup_every_write);
  return f;
}

}  // namespace

TEST_CASE("replace vs write: the default schedules are clean either way", "[model][dev_replace][race]") {
  replace_vs_write env;
  for (bool on : {false, true}) {
    replace_vs_write::tally t;
    auto x = explore_dfs(*env.prepared, fixes_with(on), env.threads, env.checker(true, true, &t), 0, 100, false);
    INFO(x.problem);
    CHECK_FALSE(x.found);
    CHECK(x.exhausted);
  }
}

TEST_CASE("replace vs write: PCT finds the seed's lost data without f0e9b7d64019", "[model][dev_replace][race]") {
  replace_vs_write env;
  replace_vs_write::tally t;
  auto x = explore_pct(*env.prepared, fixes_with(false), env.threads, env.checker(true, false, &t), 3, 3000, 27, true);
  INFO("executions " << x.executions << ", longest " << x.max_steps << " steps: " << x.problem);
  REQUIRE(x.found);
  CHECK(x.problem.rfind("in flight at the walk: lost data: file a (ino 257) offset 16384", 0) == 0);
}

TEST_CASE("replace vs write: DFS (preemption bound 1) finds the seed's lost data without f0e9b7d64019",
          "[model][dev_replace][race]") {
  replace_vs_write env;
  replace_vs_write::tally t;
  auto x = explore_dfs(*env.prepared, fixes_with(false), env.threads, env.checker(true, false, &t), 1, 100000, true);
  INFO("executions " << x.executions << ": " << x.problem);
  REQUIRE(x.found);
  CHECK(x.problem.rfind("in flight at the walk: lost data", 0) == 0);
}

TEST_CASE("replace vs write: f0e9b7d64019 removes the seed's interleaving (DFS bound 1 exhaustive and 1000 PCT runs)",
          "[model][dev_replace][race]") {
  replace_vs_write env;
  replace_vs_write::tally off, on, pct_on;
  auto dfs_off = explore_dfs(*env.prepared, fixes_with(false), env.threads, env.checker(false, false, &off), 1,
                             1000000, false);
  auto dfs_on = explore_dfs(*env.prepared, fixes_with(true), env.threads, env.checker(true, false, &on), 1, 1000000,
                            false);
  INFO("fix on: " << dfs_on.problem);
  CHECK(dfs_off.exhausted);
  CHECK(dfs_on.exhausted);
  CHECK(off.in_flight > 0);
  CHECK(off.lost_in_flight > 0);
  CHECK(on.in_flight == 0);
  CHECK_FALSE(dfs_on.found);
  WARN("replace vs write, DFS preemption bound 1: fix off " << dfs_off.executions << " schedules, " << off.in_flight
       << " of the seed's interleaving (" << off.lost_in_flight << " lost), " << off.lost_residual
       << " lost otherwise; fix on " << dfs_on.executions << " schedules, " << on.in_flight
       << " of the seed's interleaving, " << on.lost_residual << " lost otherwise");
  auto pct = explore_pct(*env.prepared, fixes_with(true), env.threads, env.checker(true, false, &pct_on), 3, 1000, 5,
                         false);
  INFO("PCT: " << pct.problem);
  CHECK_FALSE(pct.found);
  CHECK(pct_on.in_flight == 0);
  CHECK(pct.executions == 1000);
}

TEST_CASE("replace vs write: with f0e9b7d64019 a write completed or counted outside the fix's waits is still lost",
          "[model][dev_replace][race]") {
  replace_vs_write env;
  replace_vs_write::tally t;
  auto x = explore_dfs(*env.prepared, fixes_with(true), env.threads, env.checker(false, true, &t), 1, 100000, true);
  INFO("executions " << x.executions << ": " << x.problem);
  REQUIRE(x.found);
  CHECK(x.problem.find("lost data: file a (ino 257) offset 16384") != std::string::npos);
  CHECK(t.in_flight == 0);
}

TEST_CASE("replace vs write: with 22ab04e814f4 as well no write is lost (DFS bound 1 exhaustive)",
          "[model][dev_replace][race]") {
  replace_vs_write env;
  replace_vs_write::tally t;
  auto x = explore_dfs(*env.prepared, fixes_with(true, true), env.threads, env.checker(true, true, &t), 1, 1000000,
                       false);
  INFO("executions " << x.executions << ": " << x.problem);
  CHECK_FALSE(x.found);
  CHECK(x.exhausted);
  CHECK(t.in_flight == 0);
  CHECK(t.lost_residual == 0);
}

TEST_CASE("replace vs write: 22ab04e814f4 alone duplicates the cow write whatever the cursor (DFS bound 1 exhaustive)",
          "[model][dev_replace][race]") {
  replace_vs_write env;
  replace_vs_write::tally t;
  auto x = explore_dfs(*env.prepared, fixes_with(false, true), env.threads, env.checker(true, true, &t), 1, 1000000,
                       false);
  INFO("executions " << x.executions << ": " << x.problem);
  CHECK_FALSE(x.found);
  CHECK(x.exhausted);
  CHECK(t.in_flight > 0);  // the seed's interleaving happens, and loses nothing
  CHECK(t.lost_in_flight == 0);
}

// 1a1a8b732c7e: the cursor passes the copied group before the group is writable again. Before it, a
// writer could reserve its extent in X between btrfs_dec_block_group_ro and the cursor's move: the write
// is neither copied (the walk is over) nor duplicated (it lies above cursor_left).
TEST_CASE("replace vs write: without 1a1a8b732c7e a write into X between read-write and the cursor move is lost",
          "[model][dev_replace][race]") {
  replace_vs_write env;
  for (bool cursor_first : {false, true}) {
    fix_set f = fixes_with(true);
    f.set("1a1a8b732c7e", cursor_first);
    uint64_t in_window = 0, lost_in_window = 0;
    const race_checker check = [&](const btrfs_fs_info& fs, const std::vector<int>& rets, const sched::Execution& e) {
      std::vector<std::string> problems;
      const size_t rw = find_step(e, "replace", fmt::format("btrfs_dec_block_group_ro(bg {})", env.x_start));
      const size_t reserve = find_step(e, "writer", "find_free_extent(type 0x1");
      const size_t cursor = rw == std::string::npos ? rw : [&] {
        for (size_t i = rw; i < e.trace.size(); ++i)
          if (e.fiber_names.at(e.trace[i].fiber) == "replace" &&
              sched::format_label(e.trace[i].label).rfind("down_write(dev_replace->rwsem)", 0) == 0)
            return i;
        return std::string::npos;
      }();
      if (rw == std::string::npos || reserve == std::string::npos || reserve < rw || reserve > cursor) return problems;
      in_window++;
      auto end = end_state_problems(fs);
      if (!end.empty() && end.front().rfind("lost data: file a", 0) == 0) {
        lost_in_window++;
        problems.push_back("reserved between read-write and the cursor move: " + end.front());
      }
      return problems;
    };
    auto x = explore_dfs(*env.prepared, f, env.threads, check, 1, 1000000, !cursor_first);
    INFO("1a1a8b732c7e " << (cursor_first ? "on" : "off") << ": executions " << x.executions << ": " << x.problem);
    if (cursor_first) {
      CHECK(x.exhausted);
      CHECK_FALSE(x.found);
      CHECK(lost_in_window == 0);
    } else {
      REQUIRE(x.found);
      CHECK(x.problem.find("reserved between read-write and the cursor move: lost data: file a") != std::string::npos);
    }
  }
}
