// The seed race of fix 6bf9cd2eed9a ("btrfs: fix extent buffer readahead vs releasepage race"): two
// readers start readahead of the same cold tree block while page reclaim releases its first page.
// Without the fix some interleaving frees the buffer while its read is in flight (the kernel's
// BUG_ON(extent_buffer_under_io(eb))); with it, bounded exhaustive search finds nothing.
#include <optional>

#include "tests/model/test_extent_io_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test_eb;

namespace {

struct race_env {
  cold_block block;
  std::unique_ptr<btrfs_fs_info> prepared;
  explicit race_env(uint32_t nodesize) : prepared(make_prepared_fs(nodesize, &block)) {}

  run_result run(sched::Scheduler& s, sched::Strategy& strategy, uint64_t seed, bool fix) const {
    const uint64_t bytenr = block.bytenr;
    return run_on_copy(*prepared, fixes_with(fix), strategy, seed,
                       {{"reader0", [bytenr](btrfs_fs_info& fs) { readahead_tree_block(fs, bytenr); }},
                        {"reader1", [bytenr](btrfs_fs_info& fs) { readahead_tree_block(fs, bytenr); }},
                        {"reclaim", [bytenr](btrfs_fs_info& fs) { shrink_btree_page(fs, bytenr >> PAGE_SHIFT); }}},
                       s);
  }
};

bool is_seed_bug(const sched::Finding& f) {
  return f.kind == sched::FindingKind::Bug && f.message.find("freed while under IO") != std::string::npos;
}

// A clean execution leaves no page locked, no IO pending and every live buffer held by the tree only.
void require_quiescent(const btrfs_fs_info& fs) {
  for (const auto& [index, p] : fs.btree_pages) {
    INFO("btree page " << index);
    CHECK_FALSE(p->locked);
  }
  for (const auto& [id, eb] : fs.allocated_ebs) {
    INFO("extent buffer " << eb->start << " bflags " << describe_bflags(eb->bflags));
    CHECK(eb->io_pages == 0);
    CHECK(eb->refs == 1);
    CHECK(eb->test_bit(EXTENT_BUFFER_TREE_REF));
    CHECK(fs.eb_tree.at(eb->start >> PAGE_SHIFT) == eb);
  }
}

struct dfs_outcome {
  uint64_t executions = 0;
  bool exhausted = false;
  std::optional<sched::Execution> bug;
};

dfs_outcome explore_dfs(const race_env& env, bool fix, unsigned preemption_bound, uint64_t max_executions) {
  sched::Scheduler s(sched::Options{.max_steps = 5000});
  sched::DfsStrategy dfs(preemption_bound);
  dfs_outcome out;
  do {
    run_result r = env.run(s, dfs, 0, fix);
    ++out.executions;
    if (r.ex.finding.kind != sched::FindingKind::None) {
      INFO(r.ex.finding.message);
      REQUIRE(is_seed_bug(r.ex.finding));  // nothing else may go wrong
      out.bug = std::move(r.ex);
      return out;
    }
    require_quiescent(*r.fs);
  } while (dfs.next() && out.executions < max_executions);
  out.exhausted = dfs.exhausted();
  return out;
}

}  // namespace

TEST_CASE("extent_io race: DFS finds the buffer freed under IO without 6bf9cd2eed9a", "[model][extent_io][race]") {
  race_env env(4096);
  // The race needs 4 preemptions: reclaim inside reader A's window, back to A, reader B inside
  // reclaim's window, back to reclaim.
  dfs_outcome out = explore_dfs(env, /*fix=*/false, 4, 100000);
  INFO("executions " << out.executions);
  REQUIRE(out.bug);
  CHECK(out.bug->preemptions == 4);
  // The trace tells the seed's story: a reader gave up on the page reclaim held, reclaim cleared
  // TREE_REF, a reader submitted the read and dropped the last reference.
  bool reclaim_cleared = false, reader_trylock = false, submitted = false;
  for (const auto& step : out.bug->trace) {
    const std::string text = sched::format_label(step.label);
    const std::string& fiber = out.bug->fiber_names[step.fiber];
    if (text.find("test_and_clear_bit TREE_REF") != std::string::npos && fiber == "reclaim") reclaim_cleared = true;
    if (text.find("trylock_page") != std::string::npos && fiber != "reclaim") reader_trylock = true;
    if (text.find("submit_bio") != std::string::npos) submitted = true;
  }
  CHECK(reclaim_cleared);
  CHECK(reader_trylock);
  CHECK(submitted);
  for (const auto& step : out.bug->trace) CHECK(out.bug->fiber_names[step.fiber] != "endio");  // IO still in flight

  SECTION("the recorded schedule replays to the same finding") {
    sched::Scheduler s(sched::Options{.max_steps = 5000});
    sched::ReplayStrategy replay(*out.bug);
    run_result again = env.run(s, replay, 0, false);
    CHECK(is_seed_bug(again.ex.finding));
    CHECK(again.ex.trace_hash() == out.bug->trace_hash());
  }
  SECTION("the same decisions with the fix do not free the buffer under IO") {
    sched::Scheduler s(sched::Options{.max_steps = 5000});
    sched::ReplayStrategy replay(*out.bug);
    run_result fixed = env.run(s, replay, 0, true);
    // The fix adds a step (check_buffer_tree_ref after io_pages): the replay diverges there or ends clean.
    CHECK_FALSE(is_seed_bug(fixed.ex.finding));
  }
}

TEST_CASE("extent_io race: the bounded space that holds the race is clean with 6bf9cd2eed9a",
          "[model][extent_io][race]") {
  race_env env(4096);
  dfs_outcome out = explore_dfs(env, /*fix=*/true, 4, 400000);
  INFO("executions " << out.executions);
  CHECK_FALSE(out.bug);
  CHECK(out.exhausted);
}

TEST_CASE("extent_io race: a random walk finds it without the fix, with one- and four-page buffers",
          "[model][extent_io][race]") {
  for (auto [nodesize, runs] : {std::pair<uint32_t, uint64_t>{4096, 50000}, {16384, 100000}}) {
    DYNAMIC_SECTION("nodesize " << nodesize) {
      race_env env(nodesize);
      sched::Scheduler s(sched::Options{.max_steps = 5000, .record_trace = false});
      sched::RandomStrategy random;
      uint64_t found_at = runs;
      for (uint64_t i = 0; i < runs && found_at == runs; ++i) {
        run_result r = env.run(s, random, sched::execution_seed(1, i), false);
        if (r.ex.finding.kind == sched::FindingKind::None) continue;
        INFO(r.ex.finding.message);
        REQUIRE(is_seed_bug(r.ex.finding));
        CHECK(r.ex.finding.message.find("io_pages " + std::to_string(nodesize / PAGE_SIZE)) != std::string::npos);
        found_at = i;
      }
      INFO("runs " << runs);
      CHECK(found_at < runs);
    }
  }
}

TEST_CASE("extent_io race: random and PCT schedules beyond the DFS bound are clean with the fix",
          "[model][extent_io][race]") {
  race_env env(4096);
  sched::Scheduler s(sched::Options{.max_steps = 5000, .record_trace = false});
  sched::RandomStrategy random;
  sched::PctStrategy pct(6);
  for (sched::Strategy* strategy : {static_cast<sched::Strategy*>(&random), static_cast<sched::Strategy*>(&pct)}) {
    for (uint64_t i = 0; i < 20000; ++i) {
      run_result r = env.run(s, *strategy, sched::execution_seed(7, i), true);
      INFO(r.ex.finding.message);
      REQUIRE(r.ex.finding.kind == sched::FindingKind::None);
      require_quiescent(*r.fs);
    }
  }
}
