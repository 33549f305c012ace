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

/// The last `max_steps` steps of `ex.trace` (0 = all) with its thread names; `violating` is set when the
/// finding names a step of the trace run by the fiber that raised it (as the text diagram marks it).
trace_record trace_of(const sched::Execution& ex, size_t max_steps = kTraceStepsKept, std::string note = {});

}  // namespace fsrace::reports
