// The directory's index_cnt (model/data/dir_index.cpp): (u64)-1 for a directory inode read from disk,
// loaded from the last DIR_INDEX key by its first user (btrfs_set_inode_index_count), as 6.1; opendir
// (btrfs_get_dir_last_index) returns index_cnt - 1; a create whose index is taken already aborts the
// transaction in btrfs_create_new_inode (-EEXIST, btrfs_insert_delayed_dir_index). The race of
// 8e7f82deb0c0 through the scenario language: scenarios/readdir-vs-create.json.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>

#include "model/data/dir_index.hpp"
#include "sim/explore.hpp"
#include "sim/model_world.hpp"
#include "sim/scenario_load.hpp"
#include "tests/model/scenario_explore.hpp"
#include "tests/model/test_data_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test;

namespace {

const char* const kScenario = FSRACE_SOURCE_DIR "/scenarios/readdir-vs-create.json";

uint64_t index_cnt(btrfs_fs_info& fs) { return btrfs_root_data_of(fs, kFsTree).dir_index; }

uint64_t opendir(btrfs_fs_info& fs) {
  uint64_t last = 0;
  MUST(btrfs_opendir(fs, kFsTree, &last));
  return last;
}

}  // namespace

TEST_CASE("index_cnt of an evicted directory is loaded from its last DIR_INDEX key by the next create",
          "[data][dir_index]") {
  auto fs = make_fs();
  uint64_t a = 0, b = 0, c = 0;
  run_in_fiber([&] {
    a = create_file(*fs, "a").dir_index;
    b = create_file(*fs, "b").dir_index;
    MUST(btrfs_sync_fs(*fs));
  });
  CHECK(a == BTRFS_DIR_START_INDEX);
  CHECK(b == a + 1);
  btrfs_evict_dir_inode(*fs, kFsTree);
  CHECK(index_cnt(*fs) == BTRFS_INDEX_CNT_UNSET);
  run_in_fiber([&] { c = create_file(*fs, "c").dir_index; });
  CHECK(c == b + 1);
  CHECK(index_cnt(*fs) == c + 1);
  SECTION("after an unlink of the last entry the load starts after the last index left, as 6.1") {
    run_in_fiber([&] { MUST(btrfs_unlink(*fs, kFsTree, "c")); });  // create_file's reference: nothing evicted
    btrfs_evict_dir_inode(*fs, kFsTree);
    uint64_t d = 0;
    run_in_fiber([&] { d = create_file(*fs, "d").dir_index; });
    CHECK(d == c);  // c's index is free again once nothing records it
  }
  SECTION("rename takes its index through the same load") {
    btrfs_evict_dir_inode(*fs, kFsTree);
    run_in_fiber([&] { MUST(btrfs_rename(*fs, kFsTree, "a", "e")); });
    CHECK(btrfs_iget(*fs, kFsTree, btrfs_lookup_name(*fs, kFsTree, "e"))->dir_index == c + 1);
  }
  CHECK(btrfs_check(*fs).empty());
}

TEST_CASE("opendir returns the last index, loading index_cnt when it is (u64)-1", "[data][dir_index]") {
  auto fs = make_fs();
  SECTION("an empty directory: index_cnt is BTRFS_DIR_START_INDEX") {
    btrfs_evict_dir_inode(*fs, kFsTree);
    uint64_t last = 0;
    run_in_fiber([&] { last = opendir(*fs); });
    CHECK(last == BTRFS_DIR_START_INDEX - 1);
    CHECK(index_cnt(*fs) == BTRFS_DIR_START_INDEX);
  }
  SECTION("entries: the last one's index, with or without the fix") {
    const bool fix = GENERATE(true, false);
    fs->fixes.set("8e7f82deb0c0", fix);
    uint64_t b = 0, last = 0;
    run_in_fiber([&] {
      create_file(*fs, "a");
      b = create_file(*fs, "b").dir_index;
      MUST(btrfs_sync_fs(*fs));
    });
    btrfs_evict_dir_inode(*fs, kFsTree);
    run_in_fiber([&] { last = opendir(*fs); });
    CHECK(last == b);
    CHECK(index_cnt(*fs) == b + 1);
    run_in_fiber([&] { last = opendir(*fs); });  // loaded: read only
    CHECK(last == b);
  }
}

TEST_CASE("a create given an index the directory holds aborts the transaction with -EEXIST",
          "[data][dir_index]") {
  auto fs = make_fs();
  uint64_t b = 0;
  run_in_fiber([&] {
    create_file(*fs, "a");
    b = create_file(*fs, "b").dir_index;
  });
  btrfs_root_data_of(*fs, kFsTree).dir_index = b;  // a stale index_cnt, as opendir left it before the fix
  sched::Scheduler s;
  s.spawn("create", [&] { btrfs_create(*fs, kFsTree, "c", false, nullptr, "create c"); });
  sched::RandomStrategy r;
  const sched::Execution e = s.run(r, 1);
  INFO(e.finding.message);
  CHECK(e.finding.kind == sched::FindingKind::Warn);
  CHECK(e.finding.message.find("Transaction aborted (error -17) in btrfs_create_new_inode") != std::string::npos);
  const std::string err = "error adding delayed dir index item, name: c, index: " + std::to_string(b);
  CHECK(std::any_of(fs->dmesg.begin(), fs->dmesg.end(),
                    [&](const std::string& line) { return line.find(err) != std::string::npos; }));
}

TEST_CASE("8e7f82deb0c0: opendir without the directory's inode lock stores a stale index_cnt, a create reuses it",
          "[data][dir_index][race]") {
  auto sc = sim::load_scenario(kScenario, *sim::default_binding().cat);
  SECTION("before the fix: bounded DFS finds the abort") {
    auto x = explore_scenario(*sc, false, {}, sim::strategy_kind::dfs, 2, 200000);
    REQUIRE(x.violations.size() == 1);
    INFO(x.violations[0].finding.message);
    CHECK(x.violations[0].finding.message.find("Transaction aborted (error -17) in btrfs_create_new_inode") !=
          std::string::npos);
  }
  SECTION("with the fix: every schedule at DFS bound 2 is clean, exhausted") {
    auto x = explore_scenario(*sc, true, {}, sim::strategy_kind::dfs, 2, 200000);
    CHECK(x.violations.empty());
    CHECK(x.exhausted);
    CHECK(x.executions == 232);  // measured (fsrace run: bound 2 exhausted)
  }
}
