// --jobs and --shard: any number of worker threads or shards gives exactly the result of one.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <numeric>
#include <optional>
#include <set>

#include "reports/json_report.hpp"
#include "sim/scenario_load.hpp"
#include "sim/search/search.hpp"
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

// DFS parts that stopped early ran subtrees past the whole search's stop: the merged label coverage keeps
// every label kind the whole search reached and calls the pairs unknown. Returns both results without it.
std::pair<json, json> check_stopped_labels(json merged, json whole) {
  const json m = merged["label_coverage"], w = whole["label_coverage"];
  CHECK(m["pairs"].is_null());
  CHECK_FALSE(w["pairs"].is_null());
  for (const auto& [thread, kinds] : w["threads"].items())
    for (const auto& k : kinds) CHECK(std::find(m["threads"][thread].begin(), m["threads"][thread].end(), k) != m["threads"][thread].end());
  merged.erase("label_coverage");
  whole.erase("label_coverage");
  return {without_seconds(merged), without_seconds(whole)};
}

// Explores every part k of n of `req` (in reverse: merge must order them; one or two threads), shows each
// part's request and result to `each`, merges the parts and checks the merge is the unsharded `whole`
// (but for the label pairs after a stop, see above). Returns the merged JSON.
json check_merged_parts(const sim::scenario& sc, const sim::prepared_scenario& prepared, sim::explore_request req,
                        uint64_t n, const sim::exploration& whole, bool keep_going,
                        const std::function<void(const sim::explore_request&, const sim::exploration&)>& each) {
  std::vector<json> parts;
  std::vector<std::string> names;
  for (uint64_t k = n; k-- > 0;) {
    req.part = {k, n};
    req.jobs = 1 + k % 2;
    const sim::exploration e = sim::explore(prepared, req);
    each(req, e);
    parts.push_back(sim::exploration_json(sc, e, keep_going, sim::shard_spec{k, n}, 0.5));
    names.push_back("shard" + std::to_string(k) + ".json");
  }
  const json merged = sim::merge_explorations(parts, names);
  const json one = sim::exploration_json(sc, whole, keep_going, std::nullopt, 0);
  if (merged["stopped_at"].is_null()) {
    CHECK(without_seconds(merged) == without_seconds(one));  // label coverage and its pairs included
  } else {
    const auto [m, w] = check_stopped_labels(merged, one);
    CHECK(m == w);
  }
  return merged;
}

// Three threads incrementing twice each, plus a BUG when the counter passes 3 early: a DFS tree of a few
// thousand executions with two distinct violations (lost updates and the BUG), enough to split.
sim::explore_request dfs_request(uint64_t max_violations, bool fixes_on, uint32_t bound) {
  sim::explore_request req;
  req.settings.strategy = sim::strategy_kind::dfs;
  req.settings.runs = 1000000;
  req.settings.preemptions = bound;
  req.fixes.on = fixes_on;
  req.max_violations = max_violations;
  return req;
}

// Every execution's decisions of an exploration, in order, by re-walking it with replay_key.
std::vector<std::vector<sched::FiberId>> schedules_of(const sim::prepared_scenario& p, const sim::explore_request& req,
                                                      uint64_t executions, const sim::dfs_part& part) {
  std::vector<std::vector<sched::FiberId>> out;
  for (uint64_t i = 0; i < executions; ++i) out.push_back(sim::replay_key(p, req.settings, req.fixes, i, part).decisions);
  return out;
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

TEST_CASE("dfs explorations are identical for any number of worker threads") {
  auto sc = test::counter3();
  sim::prepared_scenario prepared(*sc, test::test_binding());
  for (bool fixes_on : {false, true}) {
    for (uint64_t max_violations : {0, 1, 2}) {
      INFO("fixes " << fixes_on << " max_violations " << max_violations);
      auto req = dfs_request(max_violations, fixes_on, 2);
      const json one = sim::exploration_json(*sc, sim::explore(prepared, req), max_violations == 0, std::nullopt, 0);
      if (max_violations == 0) CHECK((one["exhausted"] == true && one["executions"].get<uint64_t>() > 500));
      CHECK(!one["violations"].empty());
      for (unsigned jobs : {2u, 3u}) {
        req.jobs = jobs;
        CHECK(sim::exploration_json(*sc, sim::explore(prepared, req), max_violations == 0, std::nullopt, 0) == one);
      }
    }
  }
  // A run limit inside the search: the split stops at the same execution.
  auto req = dfs_request(0, false, 2);
  req.settings.runs = 777;
  const json one = sim::exploration_json(*sc, sim::explore(prepared, req), true, std::nullopt, 0);
  CHECK(one["executions"] == 777);
  CHECK(one["exhausted"] == false);
  req.jobs = 2;
  CHECK(sim::exploration_json(*sc, sim::explore(prepared, req), true, std::nullopt, 0) == one);
}

TEST_CASE("the union of dfs shards is the unsharded search") {
  auto sc = test::counter3();
  sim::prepared_scenario prepared(*sc, test::test_binding());
  for (bool fixes_on : {false, true}) {
    for (uint64_t max_violations : {0, 1}) {
      for (uint64_t n : {1, 2, 3, 7}) {
        INFO("fixes " << fixes_on << " max_violations " << max_violations << " shards " << n);
        auto req = dfs_request(max_violations, fixes_on, 2);
        const bool keep_going = max_violations == 0;
        const sim::exploration whole = sim::explore(prepared, req);
        REQUIRE(whole.executions > 0);
        uint64_t subtrees = 0, count = 0;
        check_merged_parts(*sc, prepared, req, n, whole, keep_going, [&](const sim::explore_request&, const sim::exploration& e) {
          if (n > 1) CHECK(e.subtree_count >= n);
          subtrees += e.subtrees.size();
          count = e.subtree_count;
        });
        if (keep_going) CHECK(subtrees == count);
      }
    }
  }
}

TEST_CASE("dfs shards run exactly the schedules of the unsharded search and replay by shard") {
  auto sc = test::counter3();
  sim::prepared_scenario prepared(*sc, test::test_binding());
  auto req = dfs_request(0, false, 1);
  const sim::exploration whole = sim::explore(prepared, req);
  REQUIRE(whole.exhausted);
  const auto expected = schedules_of(prepared, req, whole.executions, {});
  const uint64_t n = 3;
  std::vector<std::vector<std::vector<sched::FiberId>>> per_shard;  // schedules of each shard, in order
  for (uint64_t k = 0; k < n; ++k) {
    req.part = {k, n};
    const sim::exploration e = sim::explore(prepared, req);
    CHECK(e.exhausted);
    per_shard.push_back(schedules_of(prepared, req, e.executions, req.part));
    // The shard's first violation replays by its shard-local number with the same decisions.
    if (!e.violations.empty())
      CHECK(sim::replay_key(prepared, req.settings, req.fixes, e.violations[0].key, req.part).decisions == e.violations[0].decisions);
    CHECK_THROWS_AS(sim::replay_key(prepared, req.settings, req.fixes, e.executions, req.part), sim::input_error);
  }
  // Interleave the shards' subtrees back (subtree i is in shard i mod n) and compare with the whole search.
  req.part = {0, n};
  const sim::exploration shard0 = sim::explore(prepared, req);
  std::vector<std::vector<sched::FiberId>> joined;
  std::vector<size_t> at(n, 0);
  std::vector<std::vector<uint64_t>> sizes(n);
  for (uint64_t k = 0; k < n; ++k) {
    req.part = {k, n};
    for (const auto& [id, count] : sim::explore(prepared, req).subtrees) sizes[k].push_back(count);
  }
  for (uint64_t id = 0; id < shard0.subtree_count; ++id) {
    const uint64_t k = id % n;
    const uint64_t count = sizes[k][id / n];
    for (uint64_t i = 0; i < count; ++i) joined.push_back(per_shard[k][at[k]++]);
  }
  CHECK(joined == expected);
}

TEST_CASE("merge maps dfs shard violations to global executions and replay commands") {
  auto sc = test::counter3();
  sim::prepared_scenario prepared(*sc, test::test_binding());
  auto req = dfs_request(0, false, 2);
  const json whole = sim::exploration_json(*sc, sim::explore(prepared, req), true, std::nullopt, 0);
  std::vector<json> parts;
  for (uint64_t k = 0; k < 2; ++k) {
    req.part = {k, 2};
    parts.push_back(sim::exploration_json(*sc, sim::explore(prepared, req), true, sim::shard_spec{k, 2}, 0));
    for (const auto& v : parts.back()["violations"]) CHECK(v["replay"].get<std::string>().find("--shard " + std::to_string(k) + "/2") != std::string::npos);
  }
  const json merged = sim::merge_explorations(parts, {"a.json", "b.json"});
  REQUIRE(merged["violations"].size() >= 2);
  for (const auto& v : merged["violations"]) CHECK(v["replay"].get<std::string>().find("--shard") == std::string::npos);
  CHECK(merged["violations"] == whole["violations"]);
  auto broken = parts;
  broken[1]["subtree_count"] = 1;
  CHECK_THROWS_WITH(sim::merge_explorations(broken, {"a.json", "b.json"}), Catch::Contains("b.json: /subtree_count"));
  broken = parts;
  broken[1]["subtrees"] = broken[0]["subtrees"];
  CHECK_THROWS_WITH(sim::merge_explorations(broken, {"a.json", "b.json"}), Catch::Contains("given twice"));
}

// DPOR cuts its search into subtrees as it runs (sim/search/dpor_search.cpp); worker threads search them.
// Cut every few executions here, so that a small search is cut many times.
TEST_CASE("dpor explorations cut into subtrees are identical for any number of worker threads", "[dpor_jobs]") {
  auto sc = test::counter3();
  sim::prepared_scenario prepared(*sc, test::test_binding());
  for (bool fixes_on : {false, true}) {
    for (uint32_t bound : {1u, 2u}) {
      for (uint64_t max_violations : {0, 1}) {
        INFO("fixes " << fixes_on << " bound " << bound << " max_violations " << max_violations);
        auto req = dfs_request(max_violations, fixes_on, bound);
        req.settings.strategy = sim::strategy_kind::dpor;
        const sim::exploration whole = sim::explore(prepared, req);  // never cut: the default interval
        req.dpor_split_every = 3;
        const sim::exploration cut = sim::explore(prepared, req);
        CHECK(whole.plans == 1);
        if (max_violations == 0) {
          CHECK(cut.plans > 10);
          CHECK(cut.exhausted);
          // What the search finds does not depend on the cut; it may cost executions (no sleep set crosses it).
          std::set<std::string> a, b;
          for (const auto& v : whole.violations) a.insert(v.finding.message);
          for (const auto& v : cut.violations) b.insert(v.finding.message);
          CHECK(a == b);
          CHECK(cut.executions >= whole.executions);
        }
        const json one = sim::exploration_json(*sc, cut, max_violations == 0, std::nullopt, 0);
        CHECK(one["plans"] == cut.plans);
        for (unsigned jobs : {2u, 3u}) {
          req.jobs = jobs;
          CHECK(sim::exploration_json(*sc, sim::explore(prepared, req), max_violations == 0, std::nullopt, 0) == one);
        }
        // The key of each violation replays it: the plans walked in accounting order.
        req.jobs = 1;
        sim::executor walker(prepared, req.settings.max_steps, false);
        walker.set_fixes(sim::resolve_fixes(sc->fixes, req.fixes));
        const auto s = sim::make_search(walker, req);
        for (const auto& v : cut.violations) CHECK(s->decisions_of(walker, v.key) == v.decisions);
      }
    }
  }
  // A run limit inside a cut search: every job count stops at the same execution.
  auto req = dfs_request(0, true, 2);
  req.settings.strategy = sim::strategy_kind::dpor;
  req.dpor_split_every = 3;
  req.settings.runs = 41;
  const json one = sim::exploration_json(*sc, sim::explore(prepared, req), true, std::nullopt, 0);
  CHECK(one["executions"] == 41);
  CHECK(one["exhausted"] == false);
  for (unsigned jobs : {2u, 3u}) {
    req.jobs = jobs;
    CHECK(sim::exploration_json(*sc, sim::explore(prepared, req), true, std::nullopt, 0) == one);
  }
}

namespace {

// DPOR over counter3, fixes off, bound 1, every violation kept, cut every 2 executions: many small plans.
sim::explore_request dpor_cut_request() {
  auto req = dfs_request(0, false, 1);
  req.settings.strategy = sim::strategy_kind::dpor;
  req.dpor_split_every = 2;
  return req;
}

// The decisions of the executions `keys` name in the search `req` asks for (its cut interval and part
// included: replay_key would take the default interval); with `end`, that the key past the last is refused.
std::vector<std::vector<sched::FiberId>> decisions_by_key(const sim::prepared_scenario& prepared, const sim::scenario& sc,
                                                          const sim::explore_request& req, const std::vector<uint64_t>& keys,
                                                          std::optional<uint64_t> end = std::nullopt) {
  sim::executor walker(prepared, req.settings.max_steps, false);
  walker.set_fixes(sim::resolve_fixes(sc.fixes, req.fixes));
  const auto s = sim::make_search(walker, req);
  std::vector<std::vector<sched::FiberId>> out;
  for (uint64_t k : keys) out.push_back(s->decisions_of(walker, k));
  if (end) CHECK_THROWS_AS(s->decisions_of(walker, *end), sim::input_error);
  return out;
}

// Keys 0 .. n-1.
std::vector<uint64_t> first_keys(uint64_t n) {
  std::vector<uint64_t> keys(n);
  std::iota(keys.begin(), keys.end(), uint64_t{0});
  return keys;
}

}  // namespace

TEST_CASE("dpor cut into subtrees: every execution key replays the execution it names", "[dpor_jobs]") {
  auto sc = test::counter3();
  sim::prepared_scenario prepared(*sc, test::test_binding());
  const auto req = dpor_cut_request();
  const sim::exploration e = sim::explore(prepared, req);
  REQUIRE(e.exhausted);
  REQUIRE(e.plans > 5);
  const auto all = decisions_by_key(prepared, *sc, req, first_keys(e.executions), e.executions);
  const std::set<std::vector<sched::FiberId>> seen(all.begin(), all.end());
  CHECK(seen.size() == e.executions);  // no subtree runs an execution twice: they are disjoint
}

// DPOR shards (sim/search/dpor_search.cpp): every shard runs the first plan, shard 0 accounts it, shard k
// takes the plans it cuts off with i mod n = k; merging orders the plans back by their place in the tree.
TEST_CASE("the union of dpor shards is the unsharded search", "[dpor_jobs],[dpor_shards]") {
  auto sc = test::counter3();
  sim::prepared_scenario prepared(*sc, test::test_binding());
  for (bool fixes_on : {false, true}) {
    for (uint32_t bound : {1u, 2u}) {
      for (uint64_t max_violations : {0, 1}) {
        for (uint64_t n : {1, 2, 3, 5}) {
          INFO("fixes " << fixes_on << " bound " << bound << " max_violations " << max_violations << " shards " << n);
          auto req = dfs_request(max_violations, fixes_on, bound);
          req.settings.strategy = sim::strategy_kind::dpor;
          req.dpor_split_every = 3;
          const bool keep_going = max_violations == 0;
          const sim::exploration whole = sim::explore(prepared, req);
          if (keep_going) REQUIRE(whole.plans > 10);
          uint64_t executions = 0;
          const json merged = check_merged_parts(*sc, prepared, req, n, whole, keep_going,
                                                 [&](const sim::explore_request& part, const sim::exploration& e) {
            executions += e.executions;
            if (keep_going) CHECK(e.executions > 0);  // every shard gets plans: the first plan cuts off many
            // A shard's violations replay by their shard-local keys.
            std::vector<uint64_t> keys;
            for (const auto& v : e.violations) keys.push_back(v.key);
            const auto found = decisions_by_key(prepared, *sc, part, keys,
                                                e.exhausted ? std::optional<uint64_t>(e.executions) : std::nullopt);
            for (size_t i = 0; i < keys.size(); ++i) CHECK(found[i] == e.violations[i].decisions);
          });
          if (keep_going) CHECK(executions == whole.executions);  // the first plan is accounted once
          CHECK(merged["plans"] == whole.plans);
          CHECK(merged["traces"] == whole.traces);
        }
      }
    }
  }
}

TEST_CASE("dpor shards run exactly the schedules of the unsharded search, and merge refuses broken plan trees", "[dpor_jobs],[dpor_shards]") {
  auto sc = test::counter3();
  sim::prepared_scenario prepared(*sc, test::test_binding());
  auto req = dpor_cut_request();
  const sim::exploration whole = sim::explore(prepared, req);
  REQUIRE(whole.exhausted);
  std::set<std::vector<sched::FiberId>> expected, joined;
  for (const auto& d : decisions_by_key(prepared, *sc, req, first_keys(whole.executions), whole.executions)) expected.insert(d);
  const uint64_t n = 3;
  std::vector<json> parts;
  uint64_t executions = 0;
  for (uint64_t k = 0; k < n; ++k) {
    req.part = {k, n};
    const sim::exploration e = sim::explore(prepared, req);
    CHECK(e.exhausted);
    executions += e.executions;
    for (const auto& d : decisions_by_key(prepared, *sc, req, first_keys(e.executions), e.executions))
      CHECK(joined.insert(d).second);  // disjoint
    parts.push_back(sim::exploration_json(*sc, e, true, sim::shard_spec{k, n}, 0));
  }
  CHECK(executions == whole.executions);
  CHECK(joined == expected);
  const std::vector<std::string> names{"a.json", "b.json", "c.json"};
  CHECK_NOTHROW(sim::merge_explorations(parts, names));
  auto broken = parts;
  broken[1]["plan_tree"] = json::array();  // shard 1's plans missing
  CHECK_THROWS_WITH(sim::merge_explorations(broken, names), Catch::Contains("no shard searched plan ["));
  broken = parts;
  broken[2]["plan_tree"].push_back(parts[1]["plan_tree"][0]);
  CHECK_THROWS_WITH(sim::merge_explorations(broken, names), Catch::Contains("c.json: /plan_tree/") && Catch::Contains("given twice"));
  broken = parts;
  broken[0]["plan_tree"][0]["trace_hashes"] = "12345";
  CHECK_THROWS_WITH(sim::merge_explorations(broken, names), Catch::Contains("a.json: /plan_tree/0/trace_hashes"));
  // A run limit the shards together pass is refused, as for dfs shards: the unsharded search stops earlier.
  req.settings.runs = 20;
  parts.clear();
  for (uint64_t k = 0; k < n; ++k) {
    req.part = {k, n};
    parts.push_back(sim::exploration_json(*sc, sim::explore(prepared, req), true, sim::shard_spec{k, n}, 0));
  }
  CHECK_THROWS_AS(sim::merge_explorations(parts, names), sim::input_error);
}
