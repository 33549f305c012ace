// fsrace bench's scenario figures on the counter world: counts are checked against explorations run
// here (timings are only checked to be measured; no test depends on how fast the machine is).
#include <catch2/catch.hpp>

#include "scheduler/strategy.hpp"
#include "sim/bench_scenario.hpp"
#include "sim/bench_scheduler.hpp"
#include "sim/explore.hpp"
#include "sim/scenario_load.hpp"
#include "tests/sim/test_world.hpp"

using namespace fsrace;

TEST_CASE("bench figures of a scenario agree with its explorations") {
  auto sc = sim::parse_scenario(nlohmann::json::parse(test::kCounterScenario), "counter.json", *test::test_binding().cat);
  sim::prepared_scenario prepared(*sc, test::test_binding());
  sim::bench::scenario_options o;
  o.seeds = 3;
  o.budget = 5000;
  o.rate_runs = 50;
  o.verify = true;
  const auto f = sim::bench::measure_scenario(prepared, o);
  CHECK(f.name == "counter-race");
  CHECK(f.default_strategy == "pct depth 2");
  REQUIRE(f.first.size() == 4);
  for (const auto& x : f.first) {
    INFO(x.strategy);
    CHECK(x.found == x.seeds);
    REQUIRE(x.median_executions.has_value());
    CHECK(x.kind == "violation");
  }
  CHECK(f.first[2].strategy == "dfs preemptions 2");
  CHECK(f.first[2].seeds == 1);
  CHECK(f.first[3].strategy == "dpor preemptions 2");
  CHECK(f.first[3].seeds == 1);
  // DFS is deterministic: its figure is the index of the first violation of the search, plus one.
  sim::explore_request req;
  req.settings = sc->expectations[0].explore;
  req.settings.strategy = sim::strategy_kind::dfs;
  req.settings.runs = o.budget;
  req.fixes.on = false;
  const sim::exploration e = sim::explore(prepared, req);
  REQUIRE(!e.violations.empty());
  CHECK(*f.first[2].median_executions == e.violations[0].index + 1);
  // The fixed variant (atomic increments) is clean over the whole bound-2 space.
  REQUIRE(f.verify.has_value());
  CHECK(f.verify->bound == 2);
  CHECK(f.verify->exhausted);
  CHECK(f.verify->coverage == "the bounded space is exhausted");
  CHECK(f.verify->violation.empty());
  CHECK(f.verify->executions > 1);
  CHECK(f.executions_per_second > 0);
  CHECK(f.steps_per_execution >= 6);  // two threads: start, load, store each at least
  CHECK(f.clone_ns > 0);
}

TEST_CASE("bench: a first-violation run its CPU cap stops is reported as stopped, not as a count") {
  // One thread, no race: random and PCT would run their whole budget (10^8 executions, minutes) without a
  // violation, so the 0.05 s cap stops every seed; DFS and DPOR exhaust the single schedule at once.
  nlohmann::json j = nlohmann::json::parse(test::kCounterScenario);
  j["threads"] = nlohmann::json::parse(R"([{"name": "a", "ops": [{"op": "inc"}]}])");
  j["invariants"] = nlohmann::json::parse(R"(["user_errors", {"name": "counter_is", "value": 1}])");
  j["expectations"] = nlohmann::json::parse(R"([{"fixes": "off", "result": "clean"}])");
  auto sc = sim::parse_scenario(j, "single.json", *test::test_binding().cat);
  sim::prepared_scenario prepared(*sc, test::test_binding());
  sim::bench::scenario_options o;
  o.seeds = 2;
  o.budget = 100'000'000;
  o.rate_runs = 10;
  o.first_cpu_seconds = 0.05;
  const auto f = sim::bench::measure_scenario(prepared, o);
  REQUIRE(f.first.size() == 4);
  for (const auto& x : f.first) {
    INFO(x.strategy);
    CHECK(x.found == 0);
    CHECK_FALSE(x.median_executions.has_value());
    CHECK(x.budget == o.budget);
    CHECK(x.cpu_cap == o.first_cpu_seconds);
    const bool systematic = x.strategy.rfind("dfs", 0) == 0 || x.strategy.rfind("dpor", 0) == 0;
    CHECK(x.stopped_by_cpu_cap == (systematic ? 0u : x.seeds));
  }
}

TEST_CASE("bench verifies with dpor when asked, under its CPU budget") {
  auto sc = sim::parse_scenario(nlohmann::json::parse(test::kCounterScenario), "counter.json", *test::test_binding().cat);
  sim::prepared_scenario prepared(*sc, test::test_binding());
  sim::bench::scenario_options o;
  o.seeds = 1;
  o.budget = 200;
  o.rate_runs = 10;
  o.verify = true;
  o.verify_strategy = sim::strategy_kind::dpor;
  const auto f = sim::bench::measure_scenario(prepared, o);
  REQUIRE(f.verify.has_value());
  CHECK(f.verify->strategy == "dpor preemptions 2");
  CHECK(f.verify->exhausted);
  CHECK(f.verify->violation.empty());
  CHECK(f.verify->cpu_seconds >= 0);
}

TEST_CASE("ping-pong counts every decision of its executions") {
  sched::RandomStrategy random;
  const auto f = sim::bench::ping_pong(random, 4000, 4, false);
  CHECK(f.decisions == 4 * (2 * 500 + 2));  // per execution: 500 points per fiber plus each fiber's start
  CHECK(f.ns_per_decision > 0);
}
