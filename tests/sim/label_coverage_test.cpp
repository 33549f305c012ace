// An exploration's label coverage: the same for any --jobs, carried through JSON, and merged shards keep
// the labels but say the pairs are unknown.
#include <catch2/catch.hpp>

#include "reports/json_report.hpp"
#include "sim/explore.hpp"
#include "sim/scenario_load.hpp"
#include "sim/shard.hpp"
#include "tests/sim/test_world.hpp"

using namespace fsrace;
using nlohmann::json;

TEST_CASE("label coverage: every strategy reports it, the same for one job and two", "[label_coverage]") {
  auto sc = test::counter3();
  sim::prepared_scenario prepared(*sc, test::test_binding());
  for (auto k : {sim::strategy_kind::pct, sim::strategy_kind::random, sim::strategy_kind::dfs}) {
    sim::explore_request req;
    req.settings.strategy = k;
    req.settings.runs = 2000;
    req.settings.preemptions = 2;
    req.fixes.on = true;
    req.max_violations = 0;
    const auto one = sim::explore(prepared, req);
    req.jobs = 2;
    const auto two = sim::explore(prepared, req);
    REQUIRE(one.labels.present);
    CHECK(reports::to_json(one.labels) == reports::to_json(two.labels));
    REQUIRE(one.labels.threads.size() == 3);
    CHECK(one.labels.threads[0].first == "a");
    CHECK(one.labels.pairs_reordered > 0);
    CHECK(one.labels.pairs_reordered <= one.labels.pairs_ordered);
    CHECK(one.labels.pairs_ordered == one.labels.pairs_reordered + one.labels.never_reordered_total);
    // Through JSON and back.
    const auto back = reports::label_coverage_from_json(reports::to_json(one.labels), "/label_coverage");
    CHECK(reports::to_json(back) == reports::to_json(one.labels));
  }
}

TEST_CASE("label coverage off: the same exploration, no coverage in the result", "[label_coverage]") {
  auto sc = test::counter3();
  sim::prepared_scenario prepared(*sc, test::test_binding());
  for (unsigned jobs : {1u, 2u}) {
    sim::explore_request req;
    req.settings.strategy = sim::strategy_kind::dfs;
    req.settings.runs = 100000;
    req.settings.preemptions = 2;
    req.fixes.on = false;
    req.max_violations = 0;
    req.jobs = jobs;
    const auto with = sim::explore(prepared, req);
    req.label_coverage = false;
    const auto without = sim::explore(prepared, req);
    INFO("jobs " << jobs);
    REQUIRE(with.labels.present);
    CHECK_FALSE(without.labels.present);
    CHECK(reports::to_json(without.labels).is_null());
    CHECK(without.executions == with.executions);
    CHECK(without.exhausted == with.exhausted);
    REQUIRE(without.violations.size() == with.violations.size());
    for (size_t i = 0; i < with.violations.size(); ++i) CHECK(without.violations[i].key == with.violations[i].key);
  }
}

TEST_CASE("label coverage: a search without preemptions reorders fewer pairs", "[label_coverage]") {
  auto sc = test::counter3();
  sim::prepared_scenario prepared(*sc, test::test_binding());
  sim::explore_request req;
  req.settings.strategy = sim::strategy_kind::dfs;
  req.settings.runs = 100000;
  req.fixes.on = true;
  req.settings.preemptions = 0;
  req.max_violations = 0;
  const auto none = sim::explore(prepared, req);
  req.settings.preemptions = 2;
  const auto two = sim::explore(prepared, req);
  REQUIRE(none.exhausted);
  REQUIRE(two.exhausted);
  CHECK(none.labels.pairs_reordered < two.labels.pairs_reordered);
  CHECK(none.labels.never_reordered_total > 0);
  CHECK(!none.labels.never_reordered.empty());
}

TEST_CASE("label coverage: malformed label_coverage in a result is refused with its JSON path", "[label_coverage]") {
  CHECK_THROWS_WITH(reports::label_coverage_from_json(json::parse(R"({"threads": [], "pairs": null})"), "/x"),
                    Catch::Contains("expected an object"));
  CHECK_THROWS_WITH(reports::label_coverage_from_json(json::parse(R"({"threads": {"a": [1]}, "pairs": null})"), "/x"),
                    Catch::Contains("expected a string"));
  CHECK_FALSE(reports::label_coverage_from_json(json(nullptr), "/x").present);
  const auto merged = reports::label_coverage_from_json(json::parse(R"({"threads": {"a": ["x"]}, "pairs": null})"), "/x");
  CHECK(merged.present);
  CHECK_FALSE(merged.pairs_known);
}
