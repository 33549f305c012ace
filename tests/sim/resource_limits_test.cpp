// Model state of one execution is counted by the model (sim/model_state_bytes.hpp), reported in explore
// --json ("peak_model_bytes"), identical across --jobs, follows the data the scenario writes, and is
// bounded: an execution that holds more than the limit ends as a tool error naming the limit.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "sim/binding.hpp"
#include "sim/explore.hpp"
#include "sim/limits.hpp"
#include "sim/prepared.hpp"
#include "sim/scenario_load.hpp"

using namespace fsrace;

namespace {

std::unique_ptr<sim::scenario> writer(const std::string& length) {
  const std::string text = R"({"name": "w", "title": "one writer and one reader",
    "filesystem": {"devices": ["1GiB"], "setup": [{"op": "create_file", "file": "f"}, {"op": "sync"}]},
    "threads": [{"name": "writer", "ops": [{"op": "write", "file": "f", "length": ")" + length + R"("}, {"op": "sync"}]},
                {"name": "reader", "ops": [{"op": "read_verify", "file": "f", "length": "4KiB"}]}],
    "expectations": [{"fixes": "on", "result": "clean"}]})";
  return sim::parse_scenario(sim::parse_json_text(text, "w.json"), "w.json", *sim::default_binding().cat);
}

sim::exploration explore(const sim::prepared_scenario& prepared, const sim::scenario& sc, unsigned jobs) {
  sim::explore_request req;
  req.settings = sc.explore;
  req.settings.strategy = sim::strategy_kind::random;
  req.settings.runs = 20;
  req.fixes.on = true;
  req.jobs = jobs;
  const sim::exploration e = sim::explore(prepared, req);
  REQUIRE(e.executions == 20);
  return e;
}

}  // namespace

TEST_CASE("the peak model bytes of one execution follow the data written and do not depend on --jobs") {
  const auto small_sc = writer("64KiB"), large_sc = writer("8MiB");
  const sim::prepared_scenario small_p(*small_sc, sim::default_binding()), large_p(*large_sc, sim::default_binding());
  const uint64_t small = explore(small_p, *small_sc, 1).peak_model_bytes;
  const uint64_t large = explore(large_p, *large_sc, 1).peak_model_bytes;
  INFO("64KiB write: " << small << " bytes, 8MiB write: " << large << " bytes");
  CHECK(small >= 2 * 256 * 1024);  // at least the two fiber stacks
  // The page cache, the data oracle and the device each hold the 8 MiB once the writer synced.
  CHECK(large >= small + 3 * ((8u << 20) - (64u << 10)));
  CHECK(large < small + 5 * (8u << 20));  // and nothing holds it many times over
  CHECK(explore(large_p, *large_sc, 2).peak_model_bytes == large);
  CHECK(explore(large_p, *large_sc, 1).peak_model_bytes == large);
}

TEST_CASE("an execution that holds more model state than the limit ends as a tool error naming it") {
  const auto sc = writer("8MiB");
  const sim::prepared_scenario prepared(*sc, sim::default_binding());
  sim::executor exec(prepared, sc->explore.max_steps, false);
  exec.set_fixes(model::fix_set{});
  sched::DfsStrategy dfs(0);
  sched::Execution ex;
  exec.run(dfs, 0, ex);
  REQUIRE(ex.finding.kind == sched::FindingKind::None);
  const uint64_t peak = exec.peak_state_bytes();
  REQUIRE(peak < sim::limits::kModelStateBytes);
  exec.set_state_limit(peak - 1);
  sched::DfsStrategy again(0);
  exec.run(again, 0, ex);
  CHECK(ex.finding.kind == sched::FindingKind::ToolError);
  CHECK_THAT(ex.finding.message, Catch::Contains("over the limit model_state_bytes = " + std::to_string(peak - 1)));
  exec.set_state_limit(peak);
  sched::DfsStrategy exact(0);
  exec.run(exact, 0, ex);
  CHECK(ex.finding.kind == sched::FindingKind::None);
}
