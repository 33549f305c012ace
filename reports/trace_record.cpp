#include "reports/trace_record.hpp"

#include <algorithm>

#include "reports/html_swimlanes.hpp"
#include "reports/race_window.hpp"

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

trace_record window_trace_of(const sched::Execution& ex, const std::vector<uint64_t>& preemptions, size_t max_shown,
                             std::string note) {
  trace_record t = trace_of(ex, 1, std::move(note));  // threads, total, violating
  t.steps.clear();
  t.preemptions = preemptions;
  std::vector<uint32_t> thread_of(ex.trace.size());
  for (size_t i = 0; i < ex.trace.size(); ++i) thread_of[i] = ex.trace[i].fiber;
  std::vector<window_part> parts;
  if (ex.trace.size() <= max_shown) parts.push_back({0, ex.trace.size(), false, {}});
  else parts = race_window(thread_of, preemptions, t.violating, {4, max_shown});
  // A lane for each thread shown, or, past kTraceLanes, for the threads of the race; the others' steps fold.
  parts = fold_other_threads(thread_of, parts, race_lanes(thread_of, parts, preemptions, t.violating, kTraceLanes));
  for (const auto& part : parts) {
    if (part.folded) {
      t.folds.push_back({part.first, part.end, part.threads});
      continue;
    }
    for (uint64_t i = part.first; i < part.end; ++i) {
      t.steps.push_back({i, thread_of[i], sched::format_label(ex.trace[i].label)});
      if (t.steps.back().thread >= t.threads.size()) t.threads.resize(t.steps.back().thread + 1, "?");
    }
  }
  t.finding_objects = objects_named(ex.finding.message);
  return t;
}

std::vector<std::string> objects_named(const std::string& message) {
  std::vector<std::string> out;
  for (const auto& o : typed_objects(message))
    if (std::find(out.begin(), out.end(), o) == out.end()) out.push_back(o);
  return out;
}

}  // namespace fsrace::reports
