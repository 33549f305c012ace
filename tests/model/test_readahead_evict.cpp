// Asynchronous buffered reads (model/data/readahead.cpp: extent_readahead, end_bio_extent_readpage),
// the io tree's extent states (split_state) and eviction's io tree loop (evict_inode_truncate_pages,
// 6ca070975671): the hang of scenarios/readahead-vs-evict.json.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "model/data/extent_io_tree.hpp"
#include "model/data/page_lock.hpp"
#include "model/data/readahead.hpp"
#include "scheduler/scheduler.hpp"
#include "tests/model/race_dfs.hpp"
#include "tests/model/scenario_explore.hpp"
#include "tests/model/test_data_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test;

namespace {

constexpr uint64_t K = 1024;
const char* const kScenario = FSRACE_SOURCE_DIR "/scenarios/readahead-vs-evict.json";

using states = std::vector<std::pair<uint64_t, uint64_t>>;

states lock_states_of(const extent_io_tree& tree) {
  states out;
  for (const auto& [start, rec] : tree.lock_states) out.emplace_back(start, rec.end);
  return out;
}

}  // namespace

TEST_CASE("io tree: clearing part of a locked state splits it as split_state and a held state keeps its fields",
          "[model][readahead_evict]") {
  btrfs_inode inode;
  inode.ino = 300;
  extent_io_tree& tree = inode.io_tree;
  SECTION("the lower part cleared first: the original keeps the upper part, its start moves up") {
    set_extent_locked(tree, 0, 16 * K);
    const uint64_t id = extent_state_hold_first(tree);
    unlock_extent(inode, 0, 8 * K);
    CHECK(lock_states_of(tree) == states{{8 * K, 16 * K}});
    CHECK(tree.lock_states.begin()->second.id == id);
    CHECK(extent_state_fields(tree, id) == std::pair<uint64_t, uint64_t>{8 * K, 16 * K});
    unlock_extent(inode, 8 * K, 16 * K);
    CHECK(tree.lock_states.empty());
    CHECK(tree.locked.empty());
    CHECK(extent_state_fields(tree, id) == std::pair<uint64_t, uint64_t>{8 * K, 16 * K});  // out of the tree
    free_extent_state(tree, id);
    CHECK(tree.held_states.empty());
  }
  SECTION("the upper part cleared first: a new state keeps the lower part, the original leaves the tree") {
    set_extent_locked(tree, 0, 16 * K);
    const uint64_t id = extent_state_hold_first(tree);
    unlock_extent(inode, 8 * K, 16 * K);
    CHECK(lock_states_of(tree) == states{{0, 8 * K}});
    CHECK(tree.lock_states.begin()->second.id != id);
    CHECK(extent_state_fields(tree, id) == std::pair<uint64_t, uint64_t>{8 * K, 16 * K});
  }
  SECTION("a middle part cleared: two states, the original the upper one") {
    set_extent_locked(tree, 0, 16 * K);
    const uint64_t id = extent_state_hold_first(tree);
    unlock_extent(inode, 4 * K, 8 * K);
    CHECK(lock_states_of(tree) == states{{0, 4 * K}, {8 * K, 16 * K}});
    CHECK(tree.lock_states.at(8 * K).id == id);
    CHECK(tree.locked.ranges().size() == 2);
  }
  SECTION("locked states never merge: two adjacent locks are two states") {
    set_extent_locked(tree, 0, 8 * K);
    set_extent_locked(tree, 8 * K, 16 * K);
    CHECK(lock_states_of(tree) == states{{0, 8 * K}, {8 * K, 16 * K}});
    CHECK(tree.locked.ranges().size() == 1);  // the bytes, merged
  }
}

namespace {

// A file of two extents not contiguous on disk ([0, 8K) and [8K, 16K), another file's extent between
// them) and a hole up to 24K, nothing cached. The reader reads it through readahead; a watcher looks,
// at every step until the read returned, for page 0 unlocked and uptodate while [0, 4K) of the io tree
// is still locked: end_io's window.
struct readahead_window {
  struct result {
    sched::Execution e;
    bool window = false;
    int64_t n = 0;
    std::vector<uint8_t> got;
    bool io_tree_empty = false;
    bool found() const { return window; }
  };
  const btrfs_fs_info* prepared;
  uint64_t ino;
  result run(sched::Scheduler& s, sched::Strategy& strategy, uint64_t seed, const fix_set& fixes) const {
    btrfs_fs_info fs = *prepared;
    fs.fixes = fixes;
    btrfs_inode& f = *btrfs_iget(fs, kFsTree, ino);
    result r;
    bool done = false;
    s.spawn("reader", [&] {
      r.n = filemap_read_readahead(fs, f, 0, 24 * K, r.got);
      done = true;
    });
    s.spawn("watcher", [&] {
      for (int i = 0; i < 64 && !done; i++) {
        sched::point(sched::L("test: watch"));
        auto& pages = f.mapping.pages;
        if (pages.count(0) && !pages.at(0).locked && pages.at(0).uptodate && f.io_tree.locked.contains(0))
          r.window = true;
      }
    });
    r.e = s.run(strategy, seed);
    r.io_tree_empty = f.io_tree.locked.empty() && f.io_tree.lock_states.empty();
    return r;
  }
};

}  // namespace

TEST_CASE("readahead: one bio per extent contiguous on disk and end_io unlocks the pages before the io tree range",
          "[model][readahead_evict]") {
  auto fs = make_fs();
  fs->fixes = fix_set::all_on();
  uint64_t ino = 0;
  run_in_fiber([&] {
    btrfs_inode& f = create_file(*fs, "f");
    btrfs_inode& g = create_file(*fs, "g");
    MUST(btrfs_direct_write(*fs, f, 0, pattern_bytes(1, 0, 8 * K), "dio f 0"));
    MUST(btrfs_direct_write(*fs, g, 0, pattern_bytes(2, 0, 4 * K), "dio g"));
    MUST(btrfs_direct_write(*fs, f, 8 * K, pattern_bytes(3, 8 * K, 8 * K), "dio f 8K"));
    MUST(btrfs_sync_fs(*fs));
    MUST(btrfs_setsize(*fs, f, 24 * K, "truncate f"));  // [16K, 24K): a hole, zeroed by the reader
    ino = f.ino;
  });
  const btrfs_inode& f = *btrfs_iget_const(*fs, kFsTree, ino);
  REQUIRE(f.mapping.pages.empty());
  const auto extents = file_extents(*fs, f);
  REQUIRE(extents.size() == 2);
  CHECK(extents[0].fi.disk_bytenr + 8 * K != extents[1].fi.disk_bytenr);  // two bios
  std::vector<uint8_t> want = pattern_bytes(1, 0, 8 * K);
  auto rest = pattern_bytes(3, 8 * K, 8 * K);
  want.insert(want.end(), rest.begin(), rest.end());
  want.resize(24 * K, 0);

  readahead_window env{fs.get(), ino};
  SECTION("without preemption the read returns the file, the io tree empty afterwards") {
    sched::Scheduler s;
    sched::DfsStrategy dfs(0);
    auto r = env.run(s, dfs, 0, fix_set::all_on());
    INFO(r.e.finding.message);
    REQUIRE(r.e.finding.kind == sched::FindingKind::None);
    CHECK(r.n == int64_t(24 * K));
    CHECK(r.got == want);
    CHECK(r.io_tree_empty);
  }
  SECTION("DFS finds page 0 unlocked and uptodate while its io tree range is still locked") {
    auto x = explore_dfs_until_found(env, fix_set::all_on(), 1, 100000, 100000);
    REQUIRE(x.failure);
    INFO(x.failure->e.finding.message);
    CHECK(x.failure->e.finding.kind == sched::FindingKind::None);
    CHECK(x.failure->got == want);
    CHECK(x.failure->io_tree_empty);
  }
}

TEST_CASE("readahead-vs-evict: without 6ca070975671 eviction hangs on its own leftover range (DFS bound 2)",
          "[readahead_evict][sim]") {
  const sim::exploration e = explore_scenario_dfs(kScenario, false, 2);
  REQUIRE(e.violations.size() == 1);
  INFO(e.violations[0].finding.message);
  CHECK(e.violations[0].finding.kind == sched::FindingKind::Deadlock);
  CHECK_THAT(e.violations[0].finding.message, Catch::Contains("lock_extent_bits(ino 257 off 0)"));
  CHECK(e.executions == 31);  // measured
}

TEST_CASE("readahead-vs-evict: without 6ca070975671 DFS bound 1 is exhausted clean", "[readahead_evict][sim]") {
  const sim::exploration e = explore_scenario_dfs(kScenario, false, 1);
  CHECK(e.violations.empty());
  CHECK(e.exhausted);
}

TEST_CASE("readahead-vs-evict: with 6ca070975671 DFS bound 2 is exhausted clean", "[readahead_evict][sim]") {
  const sim::exploration e = explore_scenario_dfs(kScenario, true, 2);
  INFO((e.violations.empty() ? std::string() : e.violations[0].finding.message));
  INFO((e.tool_error ? e.tool_error->finding.message : std::string()));
  CHECK(e.violations.empty());
  CHECK_FALSE(e.tool_error);
  CHECK(e.exhausted);
  CHECK(e.executions == 53169);  // measured
}
