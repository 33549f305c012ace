// The search interface (sim/search/search.hpp): plans, their division, and keys that replay.
#include <catch2/catch.hpp>

#include <set>

#include "scheduler/prng.hpp"
#include "sim/explore.hpp"
#include "sim/scenario_load.hpp"
#include "sim/search/search.hpp"
#include "tests/sim/test_world.hpp"

using namespace fsrace;
using nlohmann::json;

namespace {

// Three threads incrementing, a BUG when the counter passes 3 early: a tree of a few thousand executions.
sim::explore_request request(sim::strategy_kind k) {
  sim::explore_request req;
  req.settings.strategy = k;
  req.settings.runs = 20000;
  req.settings.depth = 2;
  req.settings.preemptions = 1;
  req.settings.seed = 5;
  req.max_violations = 0;
  return req;
}

}  // namespace

TEST_CASE("search: every strategy has one row, its name round-trips, and only seeded ones sample", "[search]") {
  std::set<std::string> names;
  for (const auto& e : sim::all_searches()) {
    CHECK(names.insert(e.name).second);
    CHECK(sim::parse_strategy(e.name) == e.kind);
    CHECK(std::string(sim::to_string(e.kind)) == e.name);
    CHECK(sim::is_systematic(e.kind) == (e.divides != sim::division::seeds));
    CHECK(&sim::search_of(e.kind) == &e);
  }
  CHECK(names == std::set<std::string>{"random", "pct", "dfs", "dpor"});
}

TEST_CASE("search: a seeded run's plans are the seeds of its index range", "[search]") {
  auto sc = test::counter3();
  sim::prepared_scenario prepared(*sc, test::test_binding());
  sim::executor probe(prepared, 10000, false);
  for (auto k : {sim::strategy_kind::random, sim::strategy_kind::pct}) {
    auto req = request(k);
    req.first = 100, req.end = 250;
    const auto s = sim::make_search(probe, req);
    REQUIRE(s->plan_count() == 150);
    for (uint64_t i = 0; i < s->plan_count(); i += 37) {
      const sim::plan p = s->plan_at(i);
      CHECK(p.id == 100 + i);
      CHECK(p.seed == sched::execution_seed(5, 100 + i));
      CHECK(s->name(p, 7).key == p.seed);   // the seed replays it, whatever was accounted before
      CHECK(s->name(p, 7).index == p.id);
    }
  }
}

TEST_CASE("search: DFS shards take disjoint subtrees that together are the whole search", "[search]") {
  auto sc = test::counter3();
  sim::prepared_scenario prepared(*sc, test::test_binding());
  sim::executor probe(prepared, 10000, false);
  auto req = request(sim::strategy_kind::dfs);
  const auto whole = sim::make_search(probe, req);
  CHECK(whole->plan_count() == 1);  // unsplit: one plan, the whole tree
  CHECK(whole->subtree_count() == 0);
  CHECK(whole->plan_at(0).prefix.empty());
  std::set<uint64_t> seen;
  uint64_t total = 0;
  for (uint64_t k = 0; k < 3; ++k) {
    req.part = {k, 3};
    const auto part = sim::make_search(probe, req);
    total = part->subtree_count();
    for (uint64_t i = 0; i < part->plan_count(); ++i) {
      CHECK(part->plan_at(i).id % 3 == k);
      CHECK(seen.insert(part->plan_at(i).id).second);
    }
  }
  CHECK(total >= 3 * 16);
  CHECK(seen.size() == total);
}

TEST_CASE("search: divisions a strategy cannot make are refused", "[search]") {
  auto sc = test::counter3();
  sim::prepared_scenario prepared(*sc, test::test_binding());
  sim::executor probe(prepared, 10000, false);
  auto dpor = request(sim::strategy_kind::dpor);
  dpor.jobs = 2;
  CHECK_NOTHROW(sim::make_search(probe, dpor));  // worker threads search the subtrees it cuts off
  dpor.dpor_races = 5;  // the race tally is one worker's
  CHECK_THROWS_AS(sim::make_search(probe, dpor), sim::input_error);
  dpor.jobs = 1;
  dpor.part = {0, 2};
  CHECK_THROWS_AS(sim::make_search(probe, dpor), sim::input_error);  // and so is a shard's
  dpor.dpor_races = 0;
  CHECK_NOTHROW(sim::make_search(probe, dpor));  // a shard runs the first plan and every 2nd plan it cuts off
  dpor.part = {};
  dpor.first = 10;  // DPOR's executions are no index range
  CHECK_THROWS_AS(sim::make_search(probe, dpor), sim::input_error);
  auto dfs = request(sim::strategy_kind::dfs);
  dfs.first = 10;
  CHECK_THROWS_AS(sim::make_search(probe, dfs), sim::input_error);
}

TEST_CASE("search: the key of every violation replays its decisions, for every strategy", "[search]") {
  auto sc = test::counter3();
  sim::prepared_scenario prepared(*sc, test::test_binding());
  for (const auto& e : sim::all_searches()) {
    CAPTURE(e.name);
    auto req = request(e.kind);
    req.settings.runs = 3000;
    const sim::exploration out = sim::explore(prepared, req);
    REQUIRE(!out.violations.empty());
    CHECK(out.exhausted == sim::is_systematic(e.kind));
    sim::executor walker(prepared, req.settings.max_steps, false);
    walker.set_fixes(sim::resolve_fixes(sc->fixes, req.fixes));
    const auto s = sim::make_search(walker, req);
    for (const auto& v : out.violations) {
      CHECK(s->decisions_of(walker, v.key) == v.decisions);
      CHECK(sim::replay_key(prepared, req.settings, req.fixes, v.key).finding.message == v.finding.message);
    }
  }
}
