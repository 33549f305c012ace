// Replace finishing against phase 2 of a chunk allocation (scenarios/replace-finish-vs-chunk-alloc.json):
// the transaction's dev_update_list (model/dev_update_list.cpp) that debd1c065d20's finishing loop waits
// on, btrfs_map_block's dev_replace->rwsem (model/volumes.cpp), insert_dev_extents' device_list_mutex
// (50460e37186a, model/transaction.cpp), and the scenario with each fix on and off.
#include <catch2/catch.hpp>

#include <cerrno>

#include "model/chunk_alloc.hpp"
#include "model/ctree.hpp"
#include "model/maint/cleaner.hpp"
#include "model/transaction.hpp"
#include "sim/shrink.hpp"
#include "tests/model/scenario_explore.hpp"
#include "tests/model/test_scrub_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test;

namespace {

constexpr uint64_t MiB = 1ull << 20;
const char* const kScenario = FSRACE_SOURCE_DIR "/scenarios/replace-finish-vs-chunk-alloc.json";

size_t dev_extent_items(btrfs_fs_info& fs) {
  size_t n = 0;
  btrfs_for_each_item(fs, fs.dev_root(), {0, BTRFS_DEV_EXTENT_KEY, 0}, [&](const btrfs_item& it) {
    n += it.key.type == BTRFS_DEV_EXTENT_KEY;
    return true;
  });
  return n;
}

}  // namespace

TEST_CASE("dev_update_list: a chunk allocation puts its devices on the transaction's list, its commit takes them off",
          "[model][dev_replace][replace_finish_alloc]") {
  auto fs = two_device_fs_with_file(512 * MiB, "raid1");
  run_in_fiber([&] {
    btrfs_trans_handle trans = btrfs_start_transaction(*fs);
    const uint64_t transid = trans.transid;
    CHECK(fs->device(1)->post_commit_list == 0);
    REQUIRE(btrfs_force_chunk_alloc(trans, BTRFS_BLOCK_GROUP_DATA) == 1);  // raid1: a stripe on each device
    CHECK(fs->device(1)->post_commit_list == transid);
    CHECK(fs->device(2)->post_commit_list == transid);
    REQUIRE(btrfs_commit_transaction(trans) == 0);
    CHECK(fs->device(1)->post_commit_list == 0);
    CHECK(fs->device(2)->post_commit_list == 0);
  });
}

TEST_CASE("btrfs_map_block waits while dev_replace->rwsem is held for write across a scheduling point",
          "[model][dev_replace][replace_finish_alloc]") {
  // The writer takes devid 2 away while it holds the rwsem for write (as finishing changes the stripes'
  // devices); a raid1 write mapped meanwhile would get one stripe instead of two.
  auto fs = two_device_fs_with_file(512 * MiB, "raid1");
  const uint64_t logical = file_logical(*fs, "a", 0);
  freeze(*fs);
  const std::vector<op_thread> threads = {
      {"writer", [](btrfs_fs_info& f) {
         f.dev_replace.rwsem.down_write();
         f.device(2)->missing = true;
         sched::point(sched::L("holding dev_replace->rwsem"));
         f.device(2)->missing = false;
         f.dev_replace.rwsem.up_write();
         return 0;
       }},
      {"mapper", [logical](btrfs_fs_info& f) {
         std::vector<btrfs_bio_stripe> out;
         if (btrfs_map_block(f, map_op::write, logical, 4096, 0, out)) return -EIO;
         return int(out.size());
       }},
  };
  uint64_t waited = 0;
  race_checker check = [&waited](const btrfs_fs_info&, const std::vector<int>& rets, const sched::Execution& e) {
    std::vector<std::string> problems;
    if (rets[1] != 2) problems.push_back(fmt::format("the write was mapped to {} stripes", rets[1]));
    waited += find_step(e, "mapper", "down_read(dev_replace->rwsem)") != std::string::npos;
    return problems;
  };
  auto x = explore_dfs(*fs, fix_set::all_on(), threads, check, 2, 10000, false);
  INFO(x.problem);
  CHECK_FALSE(x.found);
  CHECK(x.exhausted);
  CHECK(waited > 0);  // some schedule mapped while the writer held it, and waited
}

TEST_CASE("50460e37186a: insert_dev_extents inserts a chunk's dev extents under device_list_mutex",
          "[model][dev_replace][replace_finish_alloc]") {
  // Whoever holds device_list_mutex sees all or none of a pending chunk's dev extent items.
  auto fs = two_device_fs_with_file(512 * MiB, "raid1");
  const size_t before = dev_extent_items(*fs);
  freeze(*fs);
  const std::vector<op_thread> threads = {
      {"holder", [before](btrfs_fs_info& f) {
         f.device_list_mutex.lock();
         const size_t seen = dev_extent_items(f) - before;
         f.device_list_mutex.unlock();
         return 100 + int(seen);  // 1 would read as "did not finish" (explore_dfs)
       }},
      {"allocator", [](btrfs_fs_info& f) { return btrfs_force_chunk_alloc(f, BTRFS_BLOCK_GROUP_DATA, 1); }},
  };
  race_checker all_or_none = [](const btrfs_fs_info&, const std::vector<int>& rets, const sched::Execution&) {
    std::vector<std::string> problems;
    if (rets[0] != 100 && rets[0] != 102)
      problems.push_back(fmt::format("{} of the chunk's 2 dev extents seen", rets[0] - 100));
    if (rets[1] != 0) problems.push_back(fmt::format("alloc_chunk returned {}", rets[1]));
    return problems;
  };
  SECTION("with the fix") {
    auto x = explore_dfs(*fs, fix_set::all_on(), threads, all_or_none, 2, 100000, false);
    INFO(x.problem);
    CHECK_FALSE(x.found);
    CHECK(x.exhausted);
  }
  SECTION("without it the loop runs outside the lock") {
    fix_set off = fix_set::all_on();
    off.set("50460e37186a", false);
    auto x = explore_dfs(*fs, off, threads, all_or_none, 2, 100000, true);
    REQUIRE(x.found);
    CHECK(x.problem == "1 of the chunk's 2 dev extents seen");
  }
}

TEST_CASE("50460e37186a and debd1c065d20: phase 2 of a chunk on the source while replace finishing swaps the devices",
          "[model][dev_replace][replace_finish_alloc][race][scenario]") {
  auto sc = sim::load_scenario(kScenario, *sim::default_binding().cat);
  SECTION("both reverted: the pending chunk's dev extent goes to the target, still REPLACE_TGT with devid 0") {
    // Bound 2 is exhausted clean (38,277 executions): the allocator must start after finishing's commit,
    // stop between its two phases and run phase 2 between the stripe switch and the devid swap.
    auto x = explore_scenario(*sc, false, {}, sim::strategy_kind::dfs, 3, 10000000);
    REQUIRE(x.violations.size() == 1);
    const sched::Finding& f = x.violations[0].finding;
    CHECK(f.kind == sched::FindingKind::Warn);
    CHECK(f.message.find("insert_dev_extent: chunk") != std::string::npos);
    CHECK(f.message.find("devid 0") != std::string::npos);
    CHECK(x.violations[0].index == 18457);  // measured
  }
  SECTION("both fixes: every schedule at DFS bound 2 is clean") {
    auto x = explore_scenario(*sc, true, {}, sim::strategy_kind::dfs, 2, 10000000);
    CHECK(x.violations.empty());
    CHECK_FALSE(x.tool_error);
    CHECK(x.exhausted);
    CHECK(x.executions == 40153);  // measured
  }
  SECTION("the schedule that finds it, with each fix alone: clean") {
    sim::prepared_scenario prepared(*sc, sim::default_binding());
    // Found by DFS at bound 3 and shrunk: the allocator starts after finishing's commit, stops after
    // phase 1, and runs phase 2 at finishing's point between the stripe switch and the devid swap.
    const std::vector<sim::switch_point> switches = {{261, 1}, {294, 0}, {296, 1}};
    auto run = [&](bool on, std::vector<std::pair<std::string, bool>> overrides) {
      sim::fix_setting fixes;
      fixes.on = on;
      fixes.overrides = std::move(overrides);
      return sim::run_switches(prepared, fixes, switches, 200000).ex.finding;
    };
    const sched::Finding off = run(false, {});
    CHECK(off.kind == sched::FindingKind::Warn);
    CHECK(off.message.find("insert_dev_extent") != std::string::npos);
    CHECK(run(true, {{"50460e37186a", false}}).kind == sched::FindingKind::None);  // debd1c065d20 alone
    CHECK(run(true, {{"debd1c065d20", false}}).kind == sched::FindingKind::None);  // 50460e37186a alone
    CHECK(run(true, {}).kind == sched::FindingKind::None);
  }
}
