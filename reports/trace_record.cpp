#include "reports/trace_record.hpp"

#include <algorithm>

namespace fsrace::reports {

trace_record trace_of(const sched::Execution& ex, size_t max_steps, std::string note) {
  trace_record t;
  t.threads = ex.fiber_names;
  t.total_steps = ex.trace.size();
  t.note = std::move(note);
  const size_t first = max_steps && ex.trace.size() > max_steps ? ex.trace.size() - max_steps : 0;
  for (size_t i = first; i < ex.trace.size(); ++i) {
    const sched::Step& s = ex.trace[i];
    t.steps.push_back({i, static_cast<uint32_t>(s.fiber), sched::format_label(s.label)});
    // A step of a fiber without a name (never expected) still gets a column.
    if (t.steps.back().thread >= t.threads.size()) t.threads.resize(t.steps.back().thread + 1, "?");
  }
  if (ex.finding.fiber >= 0 && ex.finding.step < ex.trace.size() &&
      ex.trace[ex.finding.step].fiber == static_cast<sched::FiberId>(ex.finding.fiber))
    t.violating = ex.finding.step;
  return t;
}

}  // namespace fsrace::reports
