// Explores a scenario file from the tests as `fsrace explore` would: its own explore settings with the
// strategy, preemption bound and run limit given, every fix of its `fixes` list on or off, stopping at the
// first violation.
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "sim/binding.hpp"
#include "sim/explore.hpp"
#include "sim/prepared.hpp"
#include "sim/scenario_load.hpp"

namespace fsrace::test {

inline sim::exploration explore_scenario(const sim::scenario& sc, bool fixes_on,
                                         const std::map<std::string, bool>& overrides, sim::strategy_kind strategy,
                                         uint32_t preemptions, uint64_t runs) {
  sim::prepared_scenario prepared(sc, sim::default_binding());
  sim::explore_request req;
  req.settings = sc.explore;
  req.settings.strategy = strategy;
  req.settings.preemptions = preemptions;
  req.settings.runs = runs;
  req.fixes.on = fixes_on;
  for (const auto& [id, on] : overrides) req.fixes.overrides.emplace_back(id, on);
  req.max_violations = 1;
  return sim::explore(prepared, req);
}

// Bounded DFS of the scenario at `path` with no run limit that matters (the bound ends the search).
inline sim::exploration explore_scenario_dfs(const char* path, bool fixes_on, uint32_t preemptions) {
  auto sc = sim::load_scenario(path, *sim::default_binding().cat);
  return explore_scenario(*sc, fixes_on, {}, sim::strategy_kind::dfs, preemptions, 10000000);
}

}  // namespace fsrace::test
