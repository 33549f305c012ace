// The extent_io operation family through the scenario language: the seed scenario file holds its
// expectations, a block the tree does not have is reported against the op, and the end-of-run
// invariant catches a leaked extent buffer reference.
#include <filesystem>

#include <catch2/catch.hpp>

#include "model/extent_io/extent_io.hpp"
#include "model/fs_info.hpp"
#include "sim/explore.hpp"
#include "sim/model_world.hpp"
#include "sim/scenario_load.hpp"
#include "sim/suite.hpp"

using namespace fsrace;
using nlohmann::json;

namespace {

const std::string kScenarioFile =
    (std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "scenarios" /
     "releasepage-vs-eb-readahead.json")
        .string();

std::unique_ptr<sim::scenario> load_seed_scenario() {
  return sim::load_scenario(kScenarioFile, *sim::default_binding().cat);
}

// A one-thread scenario on a 4KiB-node filesystem running `op`.
std::unique_ptr<sim::scenario> one_op_scenario(const json& op) {
  json doc = {{"name", "eb-one-op"},
              {"title", "one extent_io operation"},
              {"filesystem", {{"devices", {"256MiB"}}, {"nodesize", "4KiB"}}},
              {"threads", {{{"name", "t"}, {"ops", {op}}}}},
              {"invariants", {"user_errors", "extent_buffers_at_rest"}},
              {"expectations", {{{"fixes", "on"}, {"result", "clean"}}}}};
  return sim::parse_scenario(doc, "eb-one-op.json", *sim::default_binding().cat);
}

}  // namespace

TEST_CASE("extent_io scenario: releasepage-vs-eb-readahead finds the BUG with the fix off", "[model][extent_io][sim]") {
  auto sc = load_seed_scenario();
  sim::prepared_scenario prepared(*sc, sim::default_binding());
  REQUIRE(sc->expectations.size() == 2);
  const sim::expectation& off = sc->expectations[0];
  REQUIRE_FALSE(off.fixes.on);
  const reports::case_result r = sim::check_expectation(prepared, off);
  INFO(r.reason);
  CHECK(r.result == reports::case_result::status::pass);
  REQUIRE(r.violations.size() == 1);
  CHECK(r.violations[0].kind == "BUG");
  CHECK(r.violations[0].preemptions == 4);
}

TEST_CASE("extent_io scenario: releasepage-vs-eb-readahead is clean with the fix, DFS bound 3 exhausted",
          "[model][extent_io][sim]") {
  // The scenario's own expectation covers bound 4 (263060 schedules); bound 3 keeps this test short.
  auto sc = load_seed_scenario();
  sim::prepared_scenario prepared(*sc, sim::default_binding());
  sim::explore_request req;
  req.settings = sc->explore;
  req.settings.preemptions = 3;
  req.fixes.on = true;
  req.max_violations = 1;
  const sim::exploration e = sim::explore(prepared, req);
  CHECK(e.violations.empty());
  CHECK_FALSE(e.tool_error);
  CHECK(e.exhausted);
  CHECK(e.executions > 1000);
}

TEST_CASE("extent_io scenario: every op of the family runs on each tree", "[model][extent_io][sim]") {
  for (const char* tree : {"root", "extent", "chunk", "dev", "fs", "csum"}) {
    for (const char* op : {"readahead_tree_block", "read_tree_block", "reclaim_tree_block_pages", "evict_tree_block"}) {
      INFO(op << " on tree " << tree);
      auto sc = one_op_scenario({{"op", op}, {"tree", tree}});
      sim::prepared_scenario prepared(*sc, sim::default_binding());
      sim::executor ex(prepared, 10000, false);
      ex.set_fixes(model::fix_set::all_on());
      sched::RandomStrategy random;
      sched::Execution out;
      ex.run(random, 1, out);
      CHECK(out.finding.message == "");
      CHECK(out.finding.kind == sched::FindingKind::None);
    }
  }
}

TEST_CASE("extent_io scenario: a block the tree does not have is an error naming the op", "[model][extent_io][sim]") {
  auto sc = one_op_scenario({{"op", "readahead_tree_block"}, {"tree", "extent"}, {"level", 0}, {"index", 3}});
  sim::prepared_scenario prepared(*sc, sim::default_binding());
  sim::executor ex(prepared, 10000, false);
  sched::RandomStrategy random;
  sched::Execution out;
  ex.run(random, 1, out);
  CHECK(out.finding.kind == sched::FindingKind::ToolError);
  CHECK(out.finding.message.find("/threads/0/ops/0: no such tree block: tree 2 has 1 block(s) at level 0, no index 3") !=
        std::string::npos);
}

TEST_CASE("extent_io scenario: extent_buffers_at_rest reports a leaked reference and a locked page",
          "[model][extent_io][sim]") {
  auto sc = one_op_scenario({{"op", "readahead_tree_block"}, {"tree", "extent"}});
  sim::prepared_scenario prepared(*sc, sim::default_binding());
  const sim::invariant_spec* inv = sim::default_binding().cat->find_invariant("extent_buffers_at_rest");
  REQUIRE(inv);
  auto world = prepared.base().clone();
  model::btrfs_fs_info& fs = *world->fs();
  const uint64_t bytenr = fs.extent_root().node;
  sim::check_context ctx(*world, *sc);
  CHECK(inv->check(ctx, sim::params()).empty());  // nothing cached: holds vacuously

  sched::Scheduler s;
  sched::RandomStrategy random;
  model::extent_buffer_ptr leaked;
  s.spawn("leaker", [&] {
    int err = 0;
    leaked = model::read_tree_block_eb(fs, bytenr, 0, 0, &err);  // never freed
    model::btree_page_ptr p = model::find_get_page(fs, bytenr >> model::PAGE_SHIFT);
    REQUIRE(model::trylock_page(*p));  // never unlocked
    model::put_page(*p);
  });
  const sched::Execution ex = s.run(random, 3);
  REQUIRE(ex.finding.kind == sched::FindingKind::None);
  const std::vector<std::string> problems = inv->check(ctx, sim::params());
  REQUIRE(problems.size() == 2);
  CHECK(problems[0] == fmt::format("btree page {} is still locked", bytenr >> model::PAGE_SHIFT));
  CHECK(problems[1].find(fmt::format("extent buffer {} (refs 2", bytenr)) == 0);
  CHECK(problems[1].find("leaked") != std::string::npos);
}
