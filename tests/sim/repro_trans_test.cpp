// Reproductions of false races found with every fix on (issue 11), kept as regression tests: each
// scenario under tests/sim/repro/ must stay clean with --fixes on.
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

#include "sim/binding.hpp"
#include "sim/explore.hpp"
#include "sim/prepared.hpp"
#include "sim/scenario_load.hpp"

using namespace fsrace;

namespace {

const std::filesystem::path kRepro = std::filesystem::path(__FILE__).parent_path() / "repro";

sim::exploration explore_on(const std::string& name, sim::explore_settings settings) {
  auto sc = sim::load_scenario((kRepro / name).string(), *sim::default_binding().cat);
  sim::prepared_scenario prepared(*sc, sim::default_binding());
  sim::explore_request req;
  req.settings = settings;
  req.fixes.on = true;
  return sim::explore(prepared, req);
}

void require_clean(const sim::exploration& e, uint64_t executions) {
  INFO("executions " << e.executions);
  if (e.tool_error) FAIL("tool error: " << e.tool_error->finding.message);
  if (!e.violations.empty()) FAIL("violation: " << e.violations.front().finding.message);
  CHECK(e.executions == executions);
}

}  // namespace

// The model used to create snapshots outside the commit's critical section and then gave the
// snapshot private copies of the running transaction's blocks; a writer racing it left extent items
// with fewer refs than references ("extent item has 2 refs but 3 references exist"). Snapshots are
// now created by the commit (create_pending_snapshots), after every other handle ended.
TEST_CASE("snapshot creation racing a writer keeps extent refs right with fixes on (issue 11 repro)",
          "[sim][repro][snapshot]") {
  sim::explore_settings pct;
  pct.strategy = sim::strategy_kind::pct;
  pct.depth = 3;
  pct.runs = 2000;
  require_clean(explore_on("snapshot-vs-writer-extent-refs.json", pct), 2000);
}
