// Footprint declarations checked against DFS on the seed scenarios (tests/scheduler/outcome_sets.hpp):
// for each scenario, fix setting and small preemption bound, DPOR must reach exactly the outcomes DFS
// reaches: every (finding kind, message) and, for executions that end clean, every final model state
// (sim/state_fingerprint.hpp). A footprint that leaves out something its step touches shows up as an
// outcome DPOR misses. The bound-1 spaces of the larger scenarios run on demand:
//   test_sim "[dpor_equivalence_slow]"
#include <filesystem>
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "scheduler/strategy.hpp"
#include "sim/binding.hpp"
#include "sim/prepared.hpp"
#include "sim/scenario_load.hpp"
#include "sim/state_fingerprint.hpp"
#include "tests/scheduler/outcome_sets.hpp"

using namespace fsrace;
using sched::testing::collect_outcomes;
using sched::testing::missing_from;
using sched::testing::OutcomeSet;

namespace {

const std::filesystem::path kScenarios = FSRACE_SCENARIO_DIR;

constexpr uint64_t kMaxExecutions = 2'000'000;

struct compared {
  OutcomeSet dfs, dpor;
};

// One scenario at one fix setting, ready to run executions under any strategy.
struct scenario_runner {
  std::unique_ptr<sim::scenario> sc;
  sim::prepared_scenario prepared;
  sim::executor exec;
  sched::Execution ex;

  // `name`: a seed scenario's name, or a path from the source directory (tests' own scenarios).
  static std::string path_of(const std::string& name) {
    return name.find('/') != std::string::npos ? (kScenarios.parent_path() / name).string()
                                                : (kScenarios / (name + ".json")).string();
  }
  scenario_runner(const std::string& name, bool fixes_on)
      : sc(sim::load_scenario(path_of(name), *sim::default_binding().cat)),
        prepared(*sc, sim::default_binding()),
        exec(prepared, 200000, false) {
    sim::fix_setting setting;
    setting.on = fixes_on;
    exec.set_fixes(sim::resolve_fixes(sc->fixes, setting));
  }
  template <class S>
  const sched::Execution& run(S& strategy) {
    exec.run(strategy, 0, ex);
    REQUIRE(ex.finding.kind != sched::FindingKind::ToolError);
    return ex;
  }
};

compared compare(const std::string& name, bool fixes_on, unsigned bound) {
  scenario_runner r(name, fixes_on);
  auto run_one = [&](auto& strategy) {
    const sched::Execution& ex = r.run(strategy);
    return std::pair<const sched::Execution&, uint64_t>{ex, sim::state_fingerprint(r.exec.current_world().fs())};
  };
  compared out;
  sched::DfsStrategy dfs(bound);
  out.dfs = collect_outcomes(dfs, run_one, kMaxExecutions);
  sched::DporStrategy dpor(bound);
  out.dpor = collect_outcomes(dpor, run_one, kMaxExecutions);
  return out;
}

void check_same_outcomes(const std::string& name, bool fixes_on, unsigned bound) {
  INFO(name << " fixes " << (fixes_on ? "on" : "off") << " preemption bound " << bound);
  const compared c = compare(name, fixes_on, bound);
  REQUIRE(c.dfs.exhausted);
  REQUIRE(c.dpor.exhausted);
  INFO("DFS " << c.dfs.executions << " executions, " << c.dfs.outcomes.size() << " outcomes; DPOR " << c.dpor.executions
              << " executions, " << c.dpor.outcomes.size() << " outcomes");
  INFO("reached by DFS, missed by DPOR (a footprint too small):\n" << missing_from(c.dfs, c.dpor));
  INFO("reached by DPOR only (beyond the bound?):\n" << missing_from(c.dpor, c.dfs));
  CHECK(c.dpor.outcomes == c.dfs.outcomes);
  CHECK(c.dpor.executions <= c.dfs.executions);
  CHECK(c.dfs.outcomes.size() > 1);  // the fingerprint tells final states apart
}

// The traces within the bound: DPOR with Backtracking::everywhere explores every schedule DFS explores
// (the same count) and counts the traces they fall into; DPOR proper must count the same traces (it
// reaches every one, and no execution beyond the bound). A bounded POR that skipped a trace, or a
// trace hash that told equivalent executions apart, shows here.
void check_same_traces(const std::string& name, bool fixes_on, unsigned bound) {
  INFO(name << " fixes " << (fixes_on ? "on" : "off") << " preemption bound " << bound);
  scenario_runner r(name, fixes_on);
  auto exhaust = [&](auto& strategy) {
    uint64_t executions = 0;
    do {
      r.run(strategy);
      ++executions;
    } while (executions < kMaxExecutions && strategy.next());
    REQUIRE(strategy.exhausted());
    return executions;
  };
  sched::DfsStrategy dfs(bound);
  sched::DporStrategy everywhere(bound, sched::DporStrategy::Backtracking::everywhere);
  sched::DporStrategy dpor(bound);
  const uint64_t dfs_executions = exhaust(dfs), all = exhaust(everywhere), reduced = exhaust(dpor);
  INFO("DFS " << dfs_executions << " executions; DPOR everywhere " << all << " executions, " << everywhere.traces()
              << " traces; DPOR " << reduced << " executions, " << dpor.traces() << " traces");
  CHECK(all == dfs_executions);
  CHECK(everywhere.traces() == dpor.traces());
  CHECK(reduced <= all);
  CHECK_FALSE(dpor.traces_capped());
}

const char* const kSeeds[] = {"relocation-vs-nocow-write", "relocation-vs-dio-reserve", "dev-replace-vs-write"};

}  // namespace

TEST_CASE("dpor equivalence: DPOR reaches DFS's outcomes without preemptions (three data-path scenarios)",
          "[sim][dpor_equivalence]") {
  for (const char* name : kSeeds)
    for (bool on : {true, false}) check_same_outcomes(name, on, 0);
}

TEST_CASE("dpor equivalence: relocation-vs-nocow-write, one preemption", "[sim][dpor_equivalence]") {
  check_same_outcomes("relocation-vs-nocow-write", true, 1);
}

// The bound-1 spaces, one case per scenario so that each can be rerun alone (all: "[dpor_equivalence_slow]").
TEST_CASE("dpor equivalence: relocation-vs-nocow-write, one preemption, fixes on and off (slow)",
          "[.][dpor_equivalence_slow][dpor_nocow_write]") {
  for (bool on : {true, false}) check_same_outcomes("relocation-vs-nocow-write", on, 1);
}

TEST_CASE("dpor equivalence: relocation-vs-dio-reserve fixes on, one preemption (slow)",
          "[.][dpor_equivalence_slow][dpor_dio_reserve_on]") {
  check_same_outcomes("relocation-vs-dio-reserve", true, 1);
}

// The case the slow run first failed on (DPOR missed get_new_location's WARN at transid 8 that DFS reaches):
// kept on its own so the bound-1 space of one scenario can be rerun in about two minutes.
TEST_CASE("dpor equivalence: relocation-vs-dio-reserve fixes off, one preemption (slow)",
          "[.][dpor_equivalence_slow][dpor_dio_reserve_off]") {
  check_same_outcomes("relocation-vs-dio-reserve", false, 1);
}

TEST_CASE("dpor equivalence: dev-replace-vs-write, one preemption, fixes on and off (slow)",
          "[.][dpor_equivalence_slow][dpor_dev_replace]") {
  for (bool on : {true, false}) check_same_outcomes("dev-replace-vs-write", on, 1);
}

// The extent buffer code (model/extent_io/: its own scopes). Bounds 1 and 2 run in about a second; the
// race needs 4 preemptions, so fixes off at bounds 1 and 2 checks clean outcomes only (bound 4: slow).
TEST_CASE("dpor equivalence: releasepage-vs-eb-readahead, one and two preemptions, fixes on and off",
          "[sim][dpor_equivalence][dpor_releasepage]") {
  for (unsigned bound : {1u, 2u})
    for (bool on : {true, false}) check_same_outcomes("releasepage-vs-eb-readahead", on, bound);
}

TEST_CASE("dpor equivalence: releasepage-vs-eb-readahead, four preemptions (the race), fixes on and off (slow)",
          "[.][dpor_equivalence_slow][dpor_releasepage_4]") {
  for (bool on : {true, false}) check_same_outcomes("releasepage-vs-eb-readahead", on, 4);
}

TEST_CASE("dpor equivalence: scrub-vs-bg-deletion, one and two preemptions, fixes on and off",
          "[sim][dpor_equivalence][dpor_scrub_bg_deletion]") {
  for (unsigned bound : {1u, 2u})
    for (bool on : {true, false}) check_same_outcomes("scrub-vs-bg-deletion", on, bound);
}

// Inode references (model/footprints.hpp inode_grab, inode_put; model/data/inode.hpp btrfs_iput_claim):
// igrab and iput of a linked inode are commuting updates of i_count; unlinked, an iput writes it, and the
// one that evicts is undeclared. Direct IO, a buffered write and writeback hold references (and their
// ordered extents) while another thread unlinks the file. No fix matters here: fixes on only.
TEST_CASE("dpor equivalence: inode references taken and dropped around an unlink, one preemption",
          "[sim][dpor_equivalence][dpor_inode_refs]") {
  check_same_outcomes("tests/sim/dpor/inode-references.json", true, 1);
}

TEST_CASE("dpor traces: every trace DFS's schedules fall into, no more (small spaces)",
          "[sim][dpor_equivalence][dpor_traces]") {
  for (unsigned bound : {1u, 2u}) {
    check_same_traces("scrub-vs-bg-deletion", true, bound);
    check_same_traces("releasepage-vs-eb-readahead", true, bound);
    check_same_traces("releasepage-vs-eb-readahead", false, bound);
  }
}

TEST_CASE("dpor traces: relocation-vs-nocow-write, one preemption (slow)",
          "[.][dpor_equivalence_slow][dpor_traces_nocow]") {
  check_same_traces("relocation-vs-nocow-write", true, 1);
}
