#include "sim/footprint_check.hpp"

#include <memory>

#include "scheduler/strategy.hpp"
#include "sim/explore.hpp"
#include "sim/search/search.hpp"
#include "sim/state_fingerprint.hpp"

namespace fsrace::sim {

sched::CommuteReport check_footprints(const prepared_scenario& prepared, const fix_setting& fixes, uint32_t pct_depth,
                                      uint64_t base_seed, uint64_t executions, size_t max_failures, uint64_t max_swaps,
                                      uint64_t max_steps) {
  executor exec(prepared, max_steps, true, true);  // traces and footprints: what DPOR would record
  exec.set_fixes(resolve_fixes(prepared.the_scenario().fixes, fixes));
  std::unique_ptr<sched::Strategy> sampler;
  if (pct_depth == 0) sampler = std::make_unique<sched::RandomStrategy>();
  else sampler = std::make_unique<sched::PctStrategy>(pct_depth, pct_estimate(exec));  // as explore's pct search
  return sched::check_commutes(
      [&exec](sched::Strategy& strategy, uint64_t seed, sched::Execution& out) {
        exec.run(strategy, seed, out);
        return state_fingerprint(exec.current_world().fs());
      },
      *sampler, base_seed, executions, max_failures, max_swaps);
}

}  // namespace fsrace::sim
