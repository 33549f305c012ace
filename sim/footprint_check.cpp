#include "sim/footprint_check.hpp"

#include "sim/explore.hpp"
#include "sim/state_fingerprint.hpp"

namespace fsrace::sim {

sched::CommuteReport check_footprints(const prepared_scenario& prepared, const fix_setting& fixes, uint64_t base_seed,
                                      uint64_t executions, size_t max_failures, uint64_t max_swaps, uint64_t max_steps) {
  executor exec(prepared, max_steps, true, true);  // traces and footprints: what DPOR would record
  exec.set_fixes(resolve_fixes(prepared.the_scenario().fixes, fixes));
  return sched::check_commutes(
      [&exec](sched::Strategy& strategy, uint64_t seed, sched::Execution& out) {
        exec.run(strategy, seed, out);
        return state_fingerprint(exec.current_world().fs());
      },
      base_seed, executions, max_failures, max_swaps);
}

}  // namespace fsrace::sim
