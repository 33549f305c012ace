#pragma once
// The steps of an execution as plain report data (results.hpp's trace_record), so that JSON results carry
// what the HTML report draws without the scheduler's types.
#include <cstddef>
#include <string>

#include "reports/results.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::reports {

/// Steps a report keeps of one execution: every step of any race seen so far, bounded for livelocks that
/// end at the step limit (200000 steps by default).
constexpr size_t kTraceStepsKept = 2000;

/// Steps a report shows of one execution: a longer one keeps its race window (race_window.hpp).
constexpr size_t kTraceStepsShown = 160;

/// Lanes the page draws side by side: more threads with a step shown keep only the race's (race_lanes).
constexpr size_t kTraceLanes = 6;

/// The last `max_steps` steps of `ex.trace` (0 = all) with its thread names; `violating` is set when the
/// finding names a step of the trace run by the fiber that raised it (as the text diagram marks it).
trace_record trace_of(const sched::Execution& ex, size_t max_steps = kTraceStepsKept, std::string note = {});
/// The race window of `ex` (every step when it has at most `max_shown`), the other stretches as folds,
/// with its preemptions marked; steps of threads without a lane (race_lanes, kTraceLanes) are folded too.
trace_record window_trace_of(const sched::Execution& ex, const std::vector<uint64_t>& preemptions,
                             size_t max_shown = kTraceStepsShown, std::string note = {});
/// Typed objects named in a finding's message ("bg 22020096" -> "bg:22020096"), as html_label types them.
std::vector<std::string> objects_named(const std::string& message);

}  // namespace fsrace::reports
