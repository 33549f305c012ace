// The core family: scheduler-level operations and invariants that need no filesystem.
#include "scheduler/finding.hpp"
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
  cat.add_op("signal", "core",
             "Completes the named event for every present and future waiter (complete_all): orders this point of "
             "the thread before the waits of the others, e.g. to start a maintenance task only after a write began.",
             [](exec_context& ctx, const params& p) {
               ctx.shared().event(p.text("event")).complete_all();
               return 0;
             })
      .defines("event", "event", "the event's name");
  cat.add_op("wait", "core",
             "Blocks until the named event is signalled (wait_for_completion). A wait that can never be satisfied "
             "ends the execution as a deadlock.",
             [](exec_context& ctx, const params& p) {
               ctx.shared().event(p.text("event")).wait_for_completion();
               return 0;
             })
      .ref("event", "event", "the name of an event some thread signals");
  cat.add_op("fail_self_check", "core",
             "Fails one of fsrace's own consistency checks on purpose (a FSRACE_MODEL_CHECK): the execution ends as "
             "a tool error, exit code 3, never a race nor a passing result. For testing that a pipeline tells a "
             "bug in fsrace (exit 3) apart from a race (exit 1).",
             [](exec_context&, const params&) -> int {
               sched::point(sched::L("fail_self_check"));
               FSRACE_MODEL_CHECK(false, "fail_self_check: a self-check failed on purpose");
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
