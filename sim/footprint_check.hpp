#pragma once
// `fsrace check-footprints`: sched::check_commutes (scheduler/commute_check.hpp) over a scenario's
// executions, the end state judged by sim/state_fingerprint.hpp (model structs) and the data oracle
// (what user space wrote and saw); device contents only through the data invariants' findings and the
// later steps' labels.
#include <cstddef>
#include <cstdint>

#include "scheduler/commute_check.hpp"
#include "sim/prepared.hpp"

namespace fsrace::sim {

/// Samples `executions` executions of the scenario under `fixes`, those `fsrace explore --strategy
/// random` (pct_depth 0) or `--strategy pct --depth pct_depth` runs from base_seed, and re-runs each
/// with every adjacent pair of steps its footprints call independent swapped (and longer moves).
sched::CommuteReport check_footprints(const prepared_scenario& prepared, const fix_setting& fixes, uint32_t pct_depth,
                                      uint64_t base_seed, uint64_t executions, size_t max_failures, uint64_t max_swaps,
                                      uint64_t max_steps);

}  // namespace fsrace::sim
