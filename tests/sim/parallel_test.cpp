// --jobs and --shard: any number of worker threads or shards gives exactly the result of one.
#include <catch2/catch.hpp>

#include "reports/json_report.hpp"
#include "sim/scenario_load.hpp"
#include "sim/shard.hpp"
#include "tests/sim/test_world.hpp"

using namespace fsrace;
using nlohmann::json;

namespace {

std::unique_ptr<sim::scenario> counter() {
  return sim::parse_scenario(json::parse(test::kCounterScenario), "counter.json", *test::test_binding().cat);
}

sim::explore_request request(sim::strategy_kind k, uint64_t max_violations) {
  sim::explore_request req;
  req.settings.strategy = k;
  req.settings.runs = 3000;
  req.settings.depth = 2;
  req.settings.seed = 99;
  req.fixes.on = false;
  req.max_violations = max_violations;
  return req;
}

json without_seconds(json j) {
  j.erase("seconds");
  return j;
}

}  // namespace

TEST_CASE("explorations are identical for any number of worker threads") {
  auto sc = counter();
  sim::prepared_scenario prepared(*sc, test::test_binding());
  for (auto k : {sim::strategy_kind::random, sim::strategy_kind::pct}) {
    for (uint64_t max_violations : {0, 1}) {
      INFO(sim::to_string(k) << " max_violations " << max_violations);
      auto req = request(k, max_violations);
      const auto one = sim::exploration_json(*sc, sim::explore(prepared, req), max_violations == 0, std::nullopt, 0);
      for (unsigned jobs : {2u, 3u, 8u}) {
        req.jobs = jobs;
        CHECK(sim::exploration_json(*sc, sim::explore(prepared, req), max_violations == 0, std::nullopt, 0) == one);
      }
      CHECK(one["executions"].get<uint64_t>() == (max_violations == 0 ? 3000 : one["violations"][0]["execution"].get<uint64_t>() + 1));
    }
  }
}

TEST_CASE("shard ranges are contiguous, balanced and cover every execution once") {
  for (uint64_t runs : {0, 1, 7, 1000, 1001}) {
    for (uint64_t n : {1, 2, 3, 7, 16}) {
      uint64_t next = 0;
      for (uint64_t k = 0; k < n; ++k) {
        const auto [lo, hi] = sim::shard_range(runs, {k, n});
        CHECK(lo == next);
        CHECK(hi - lo <= runs / n + 1);
        next = hi;
      }
      CHECK(next == runs);
    }
  }
}

TEST_CASE("shard index from K/N, Kubernetes Indexed Jobs and Slurm arrays") {
  auto env = [](std::map<std::string, std::string> vars) {
    return [vars](const char* name) -> const char* {
      auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  };
  auto s = sim::parse_shard("2/5", env({}));
  CHECK((s.index == 2 && s.count == 5));
  s = sim::parse_shard("4", env({{"JOB_COMPLETION_INDEX", "3"}}));
  CHECK((s.index == 3 && s.count == 4));
  s = sim::parse_shard("4", env({{"SLURM_ARRAY_TASK_ID", "11"}, {"SLURM_ARRAY_TASK_MIN", "10"}}));
  CHECK((s.index == 1 && s.count == 4));
  s = sim::parse_shard("4", env({{"SLURM_ARRAY_TASK_ID", "2"}}));
  CHECK(s.index == 2);
  for (const char* bad : {"5/5", "a/3", "1/0", "", "3/", "-1/3"}) {
    INFO(bad);
    CHECK_THROWS_AS(sim::parse_shard(bad, env({})), sim::input_error);
  }
  CHECK_THROWS_WITH(sim::parse_shard("4", env({})), Catch::Contains("neither JOB_COMPLETION_INDEX nor SLURM_ARRAY_TASK_ID"));
  CHECK_THROWS_AS(sim::parse_shard("4", env({{"JOB_COMPLETION_INDEX", "4"}})), sim::input_error);
  CHECK_THROWS_AS(sim::parse_shard("4", env({{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_MIN", "2"}})), sim::input_error);
}

TEST_CASE("merging the shards of an exploration gives the unsharded result") {
  auto sc = counter();
  sim::prepared_scenario prepared(*sc, test::test_binding());
  for (auto k : {sim::strategy_kind::random, sim::strategy_kind::pct}) {
    for (uint64_t max_violations : {0, 1}) {
      for (uint64_t n : {1, 2, 5}) {
        INFO(sim::to_string(k) << " max_violations " << max_violations << " shards " << n);
        auto req = request(k, max_violations);
        const bool keep_going = max_violations == 0;
        const json whole = sim::exploration_json(*sc, sim::explore(prepared, req), keep_going, std::nullopt, 0);
        std::vector<json> parts;
        std::vector<std::string> names;
        for (uint64_t s = n; s-- > 0;) {  // in reverse: merge must order them
          std::tie(req.first, req.end) = sim::shard_range(req.settings.runs, {s, n});
          req.jobs = 1 + s % 2;
          parts.push_back(sim::exploration_json(*sc, sim::explore(prepared, req), keep_going, sim::shard_spec{s, n}, 0.5));
          names.push_back("shard" + std::to_string(s) + ".json");
        }
        CHECK(without_seconds(sim::merge_explorations(parts, names)) == without_seconds(whole));
      }
    }
  }
}

TEST_CASE("merge refuses shards that do not belong together") {
  auto sc = counter();
  sim::prepared_scenario prepared(*sc, test::test_binding());
  auto req = request(sim::strategy_kind::random, 0);
  std::vector<json> parts;
  for (uint64_t s = 0; s < 3; ++s) {
    std::tie(req.first, req.end) = sim::shard_range(req.settings.runs, {s, 3});
    parts.push_back(sim::exploration_json(*sc, sim::explore(prepared, req), true, sim::shard_spec{s, 3}, 0));
  }
  const std::vector<std::string> names{"a.json", "b.json", "c.json"};
  CHECK_NOTHROW(sim::merge_explorations(parts, names));
  CHECK_THROWS_WITH(sim::merge_explorations({parts[0], parts[2]}, {"a.json", "c.json"}), Catch::Contains("shard 1/3 is missing"));
  CHECK_THROWS_WITH(sim::merge_explorations({parts[0], parts[0], parts[2]}, names), Catch::Contains("also given by a.json"));
  auto other = parts;
  other[1]["base_seed"] = 5;
  CHECK_THROWS_WITH(sim::merge_explorations(other, names), Catch::Contains("b.json: /base_seed"));
  other = parts;
  other[2]["shard"] = nullptr;
  CHECK_THROWS_WITH(sim::merge_explorations(other, names), Catch::Contains("c.json: /shard"));
}

TEST_CASE("merging suite shards restores the case order") {
  reports::suite_result a, b;
  for (uint64_t i = 0; i < 5; ++i) {
    reports::case_result c;
    c.ordinal = i;
    c.scenario = "s" + std::to_string(i);
    (i % 2 ? b : a).cases.push_back(c);
  }
  json ja = reports::to_json(a), jb = reports::to_json(b);
  ja["shard"] = "0/2";
  jb["shard"] = "1/2";
  const auto merged = sim::merge_suites(std::vector<json>{jb, ja}, {"b.json", "a.json"});
  REQUIRE(merged.cases.size() == 5);
  for (uint64_t i = 0; i < 5; ++i) CHECK(merged.cases[i].scenario == "s" + std::to_string(i));
  jb["shard"] = "0/2";
  CHECK_THROWS_AS(sim::merge_suites(std::vector<json>{jb, ja}, {"b.json", "a.json"}), sim::input_error);
}
