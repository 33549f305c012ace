// The core family: scheduler-level operations and invariants that need no filesystem.
#include "scheduler/scheduler.hpp"
#include "sim/binding.hpp"

namespace fsrace::sim {

void register_core_ops(catalogue& cat) {
  cat.add_op("yield", "core",
             "A scheduling point and nothing else: lets other threads run here (a delay between two operations).",
             [](exec_context&, const params&) {
               sched::point(sched::L("yield"));
               return 0;
             });
  cat.add_invariant("user_errors", "core",
                    "An operation returning a negative errno to user space is a violation, unless the errno is in the "
                    "op's allowed errors (its catalogue entry or the call's \"allow_errors\"). Checked as each op "
                    "returns, so the trace ends at the failing call.",
                    nullptr)
      .on_by_default();
}

}  // namespace fsrace::sim
