// Determinism is checked, not assumed: the same exploration run twice, and on one or two threads, gives
// the same JSON result byte for byte (timings aside); the first violation of each seed scenario has the
// same trace (hash of every step's thread and label) in every run, on every machine. A change of the
// model's scheduling points moves these hashes: record them again (the failure message prints them) and
// say why in the commit message.
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "sim/binding.hpp"
#include "sim/explore.hpp"
#include "sim/prepared.hpp"
#include "sim/scenario_load.hpp"
#include "tests/reports/process.hpp"

using namespace fsrace;

namespace {

const std::filesystem::path kScenarios = std::filesystem::path(FSRACE_SOURCE_DIR) / "scenarios";

// Removes every measurement: timings ("seconds", ...) and the memory peak (sim/memory_meter.hpp), the only
// parts allowed to differ.
void strip_timings(nlohmann::json& j) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end();) {
      if (it.key().find("second") != std::string::npos || it.key() == "peak_execution_bytes") it = j.erase(it);
      else strip_timings(*it++);
    }
  } else if (j.is_array()) {
    for (auto& x : j) strip_timings(x);
  }
}

nlohmann::json explore_json(const std::string& args) {
  const auto r = test::run_shell(test::fsrace_cmd("explore " + args + " --json"));
  REQUIRE((r.code == 0 || r.code == 1));
  auto j = nlohmann::json::parse(r.out);
  strip_timings(j);
  return j;
}

}  // namespace

TEST_CASE("determinism: the same exploration twice, and on 1 or 2 threads, gives the same JSON") {
  const std::string scrub = "'" + (kScenarios / "scrub-vs-bg-deletion.json").string() + "'";
  const std::string releasepage = "'" + (kScenarios / "releasepage-vs-eb-readahead.json").string() + "'";
  for (const std::string args : {scrub + " --fixes off --strategy pct --runs 600 --keep-going --no-shrink",
                                 scrub + " --fixes off --strategy random --runs 600 --keep-going --no-shrink",
                                 releasepage + " --fixes on --strategy dfs --preemptions 2 --runs 5000"}) {
    INFO(args);
    const nlohmann::json once = explore_json(args + " --jobs 1");
    CHECK(once.at("executions").get<uint64_t>() > 0);
    CHECK(explore_json(args + " --jobs 1").dump() == once.dump());
    CHECK(explore_json(args + " --jobs 2").dump() == once.dump());
  }
}

TEST_CASE("determinism: the first violation of each seed scenario keeps its recorded trace hash") {
  // Scenario -> trace hash of the first violation its first "off" expectation's exploration finds.
  const std::map<std::string, uint64_t> recorded = {
      {"scrub-vs-bg-deletion", 0},
      {"dev-replace-vs-write", 0},
      {"releasepage-vs-eb-readahead", 0},
      {"relocation-vs-nocow-write", 0},
      {"relocation-vs-dio-reserve", 0},
      {"send-vs-relocation", 0},
  };
  for (const auto& [name, hash] : recorded) {
    INFO(name);
    const auto sc = sim::load_scenario((kScenarios / (name + ".json")).string(), *sim::default_binding().cat);
    const sim::prepared_scenario prepared(*sc, sim::default_binding());
    const sim::expectation* off = nullptr;
    for (const auto& ex : sc->expectations)
      if (!ex.fixes.on && ex.fixes.overrides.empty() && ex.violation && !off) off = &ex;
    REQUIRE(off != nullptr);
    sim::explore_request req;
    req.settings = off->explore;
    req.fixes = off->fixes;
    const sim::exploration e = sim::explore(prepared, req);
    REQUIRE(!e.violations.empty());
    const sched::Execution first = sim::rerun(prepared, off->fixes, e.violations.front().decisions, off->explore.max_steps);
    const sched::Execution again = sim::rerun(prepared, off->fixes, e.violations.front().decisions, off->explore.max_steps);
    CHECK(again.trace_hash() == first.trace_hash());
    INFO(fmt::format("trace hash {:#018x}, {} steps, seed {}", first.trace_hash(), first.steps, e.violations.front().key));
    CHECK(first.trace_hash() == hash);
  }
}
