// Shrinking: the lost update needs exactly one preemption; a noisy random schedule shrinks to that,
// proven minimal, with the same finding, and the result replays from a schedule file.
#include <catch2/catch.hpp>

#include "sim/explore.hpp"
#include "sim/scenario_load.hpp"
#include "sim/schedule_file.hpp"
#include "sim/shrink.hpp"
#include "tests/sim/test_world.hpp"

using namespace fsrace;
using nlohmann::json;

namespace {

sim::shrink_request request_of(const sim::fix_setting& fixes, uint64_t max_steps, uint64_t budget) {
  sim::shrink_request r;
  r.fixes = fixes;
  r.max_steps = max_steps;
  r.budget = budget;
  return r;
}

// Three threads each incrementing twice: random schedules are full of needless preemptions.
std::unique_ptr<sim::scenario> noisy_counter() {
  json doc = json::parse(test::kCounterScenario);
  doc["threads"][0]["ops"] = {{{"op", "inc"}, {"repeat", 2}}, {{"op", "yield"}, {"repeat", 3}}};
  doc["threads"][1]["ops"] = {{{"op", "yield"}, {"repeat", 3}}, {{"op", "inc"}, {"repeat", 2}}};
  doc["threads"].push_back({{"name", "c"}, {"ops", {{{"op", "yield"}, {"repeat", 4}}, {{"op", "inc"}, {"repeat", 2}}}}});
  doc["invariants"] = {"user_errors", {{"name", "counter_is"}, {"value", 6}}};
  return sim::parse_scenario(doc, "noisy.json", *test::test_binding().cat);
}

}  // namespace

TEST_CASE("a noisy lost update shrinks to one preemption, proven, same finding, replayable") {
  auto sc = noisy_counter();
  sim::prepared_scenario prepared(*sc, test::test_binding());
  sim::explore_request req;
  req.settings.strategy = sim::strategy_kind::random;
  req.settings.runs = 10000;
  req.settings.seed = 3;
  req.fixes.on = false;
  const auto e = sim::explore(prepared, req);
  REQUIRE(e.violations.size() == 1);
  const auto& found = e.violations[0];
  REQUIRE(found.preemptions > 1);  // random walks preempt a lot

  const auto r = sim::shrink(prepared, found.decisions, request_of(req.fixes, 10000, 100000));
  CHECK(r.original_preemptions == found.preemptions);
  CHECK(r.preemptions == 1);
  CHECK(r.preemptions_minimal);
  CHECK(r.steps <= r.original_steps);
  CHECK(r.finding.kind == found.finding.kind);
  CHECK(r.finding.message == found.finding.message);
  CHECK(r.executions <= 100000);

  // The shrunk schedule replays exactly, label-checked, from its file.
  const sched::Execution recorded = sim::rerun(prepared, req.fixes, r.decisions, 10000);
  CHECK(recorded.preemptions == 1);
  const auto file = json::parse(to_json(sim::schedule_of(*sc, req.fixes, recorded, "shrink")).dump());
  const auto replayed = sim::replay_schedule(prepared, sim::parse_schedule(file, "s.json", *sc), 10000);
  CHECK(replayed.finding.message == found.finding.message);
  CHECK(replayed.trace_hash() == recorded.trace_hash());

  // Deterministic: the same input shrinks to the same schedule.
  CHECK(sim::shrink(prepared, found.decisions, request_of(req.fixes, 10000, 100000)).decisions == r.decisions);
}

TEST_CASE("shrinking respects its budget and says when it could not prove minimality") {
  auto sc = noisy_counter();
  sim::prepared_scenario prepared(*sc, test::test_binding());
  sim::explore_request req;
  req.settings.strategy = sim::strategy_kind::random;
  req.settings.runs = 10000;
  req.settings.seed = 3;
  req.fixes.on = false;
  const auto e = sim::explore(prepared, req);
  REQUIRE(e.violations.size() == 1);
  const auto r = sim::shrink(prepared, e.violations[0].decisions, request_of(req.fixes, 10000, 3));
  CHECK(r.executions <= 4);  // the re-run of the original plus the budget
  CHECK(r.preemptions <= r.original_preemptions);
  CHECK(r.finding.message == e.violations[0].finding.message);
}

TEST_CASE("shrinking a clean schedule is a tool error, not a silent success") {
  auto sc = noisy_counter();
  sim::prepared_scenario prepared(*sc, test::test_binding());
  sim::fix_setting on;  // fixes on: the increments are atomic, every schedule is clean
  CHECK_THROWS_AS(sim::shrink(prepared, {}, request_of(on, 10000, 100)), sim::tool_error);
}

TEST_CASE("the lenient follower never diverges: it keeps the current fiber where the list does not fit") {
  auto sc = noisy_counter();
  sim::prepared_scenario prepared(*sc, test::test_binding());
  sim::executor exec(prepared, 10000, false);
  sim::lenient_follower follower({2, 2, 2, 7, 7, 7});  // fiber 7 does not exist
  sched::Execution ex;
  exec.run(follower, 0, ex);
  CHECK(ex.finding.kind != sched::FindingKind::Divergence);
  CHECK(ex.decisions[0] == 2);
  CHECK(ex.decisions[3] == 2);  // kept the current fiber instead of the impossible 7
}

TEST_CASE("a shrunk schedule is its switches: they replay it step for step, and fit a command line") {
  auto sc = noisy_counter();
  sim::prepared_scenario prepared(*sc, test::test_binding());
  sim::explore_request req;
  req.settings.strategy = sim::strategy_kind::random;
  req.settings.runs = 10000;
  req.settings.seed = 3;
  req.fixes.on = false;
  const auto e = sim::explore(prepared, req);
  REQUIRE(e.violations.size() == 1);
  const auto r = sim::shrink(prepared, e.violations[0].decisions, request_of(req.fixes, 10000, 100000));
  const sim::marked_execution m = sim::rerun_marked(prepared, req.fixes, r.decisions, 10000);
  CHECK(m.preemptions.size() == r.preemptions);
  CHECK(m.switches.size() <= 8);  // a few decisions, not one per step
  const std::string text = sim::format_switches(m.switches);
  CHECK(sim::parse_switches(text, "--switches") == m.switches);
  const sim::marked_execution again = sim::run_switches(prepared, req.fixes, sim::parse_switches(text, "--switches"), 10000);
  CHECK(again.ex.trace_hash() == m.ex.trace_hash());
  CHECK(again.ex.finding.message == r.finding.message);
  CHECK(again.preemptions == m.preemptions);
  // Malformed switches are bad input naming the flag.
  CHECK_THROWS_AS(sim::parse_switches("5:1,3:0", "--switches"), sim::input_error);
  CHECK_THROWS_AS(sim::parse_switches("5", "--switches"), sim::input_error);
  CHECK_THROWS_AS(sim::parse_switches("5:x", "--switches"), sim::input_error);
  CHECK(sim::parse_switches("", "--switches").empty());
}

TEST_CASE("shrinking reports its progress, stops at its time budget and says so") {
  auto sc = noisy_counter();
  sim::prepared_scenario prepared(*sc, test::test_binding());
  sim::explore_request req;
  req.settings.strategy = sim::strategy_kind::random;
  req.settings.runs = 10000;
  req.settings.seed = 3;
  req.fixes.on = false;
  const auto e = sim::explore(prepared, req);
  REQUIRE(e.violations.size() == 1);
  uint64_t calls = 0, last = 0;
  sim::shrink_request shrink_req = request_of(req.fixes, 10000, 100000);
  shrink_req.progress = [&](uint64_t n, uint64_t, uint64_t, const char*) {
    ++calls;
    CHECK(n > last);
    last = n;
  };
  const auto r = sim::shrink(prepared, e.violations[0].decisions, shrink_req);
  CHECK(calls == r.executions);
  CHECK_FALSE(r.out_of_time);
  // A time budget already spent: it stops after the re-run of the original and says why.
  shrink_req.progress = nullptr;
  shrink_req.seconds = 1e-9;
  const auto quick = sim::shrink(prepared, e.violations[0].decisions, shrink_req);
  CHECK(quick.out_of_time);
  CHECK_FALSE(quick.preemptions_minimal);
  CHECK(quick.executions == 1);
  CHECK_THAT(sim::describe_shrink(quick), Catch::Contains("stopped early at the time budget"));
  CHECK(quick.finding.message == e.violations[0].finding.message);
  // The execution budget is said too.
  const auto few = sim::shrink(prepared, e.violations[0].decisions, request_of(req.fixes, 10000, 2));
  CHECK(few.out_of_executions);
  CHECK_THAT(sim::describe_shrink(few), Catch::Contains("stopped early at the execution budget"));
  // Fewest preemptions proven, then stopped while looking for fewer steps: both are said.
  sim::shrink_result steps_cut = few;
  steps_cut.preemptions_minimal = true;
  steps_cut.steps_minimal = false;
  steps_cut.interrupted = true;
  CHECK_THAT(sim::describe_shrink(steps_cut),
             Catch::EndsWith("(fewest preemptions proven; stopped early by Ctrl-C: steps not proven minimal)"));
  steps_cut.steps_minimal = true;
  CHECK_THAT(sim::describe_shrink(steps_cut), Catch::EndsWith("(fewest preemptions and steps proven)"));
}
