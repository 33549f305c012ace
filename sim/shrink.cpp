#include "sim/shrink.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>

#include <fmt/format.h>

#include "sim/diagnostics.hpp"
#include "sim/interrupt.hpp"

namespace fsrace::sim {
namespace {

struct run_of {
  sched::FiberId fiber;
  size_t first, length;  // steps [first, first + length)
};

std::vector<run_of> runs_of(const std::vector<sched::FiberId>& d) {
  std::vector<run_of> runs;
  for (size_t i = 0; i < d.size(); ++i) {
    if (!runs.empty() && runs.back().fiber == d[i]) ++runs.back().length;
    else runs.push_back({d[i], i, 1});
  }
  return runs;
}

std::vector<sched::FiberId> flatten(const std::vector<run_of>& runs) {
  std::vector<sched::FiberId> out;
  for (const auto& r : runs) out.insert(out.end(), r.length, r.fiber);
  return out;
}

struct candidate {
  std::vector<sched::FiberId> decisions;
  std::vector<bool> preempted;
  sched::Finding finding;
  uint64_t steps = 0, preemptions = 0;
};

bool better(const candidate& a, const candidate& b) {
  return a.preemptions < b.preemptions || (a.preemptions == b.preemptions && a.steps < b.steps);
}

// Candidate edits around the preemption between runs j (thread C, preempted) and j+1 (thread X):
// 0: X's run moves behind C's next run; 1: X's run moves to the end; 2: C's run moves behind X's run;
// 3: X's run moves forward to join X's previous run. Returns false when the edit does not apply.
bool move_run(std::vector<run_of>& runs, size_t j, int kind) {
  const run_of preempted = runs[j], preempting = runs[j + 1];
  auto at = [&](size_t i) { return runs.begin() + static_cast<std::ptrdiff_t>(i); };
  switch (kind) {
    case 0: {
      size_t k = j + 2;
      while (k < runs.size() && runs[k].fiber != preempted.fiber) ++k;
      if (k == runs.size()) return false;
      runs.insert(at(k + 1), preempting);
      runs.erase(at(j + 1));
      return true;
    }
    case 1:
      runs.erase(at(j + 1));
      runs.push_back(preempting);
      return true;
    case 2:
      std::swap(runs[j], runs[j + 1]);
      return true;
    case 3: {
      size_t k = j;
      while (k > 0 && runs[k - 1].fiber != preempting.fiber) --k;
      if (k == 0) return false;
      runs.erase(at(j + 1));
      runs.insert(at(k), preempting);
      return true;
    }
  }
  return false;
}

class shrinker {
 public:
  shrinker(const prepared_scenario& p, const shrink_request& req)
      : exec_(p, req.max_steps, false), req_(req), start_(std::chrono::steady_clock::now()) {
    exec_.set_fixes(resolve_fixes(p.the_scenario().fixes, req.fixes));
  }

  bool budget_left() {
    if (interrupt_requested()) {
      out_of_time_ = interrupted_ = true;
      return false;
    }
    if (used_ >= req_.budget) {
      out_of_executions_ = true;
      return false;
    }
    if (req_.seconds > 0 && seconds() >= req_.seconds) {
      out_of_time_ = true;
      return false;
    }
    return true;
  }
  uint64_t used() const { return used_; }
  bool out_of_time() const { return out_of_time_; }
  bool interrupted() const { return interrupted_; }
  bool out_of_executions() const { return out_of_executions_ && !out_of_time_; }
  double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }

  void counted(const char* phase) {
    ++used_;
    if (req_.progress) req_.progress(used_, best_preemptions_, best_steps_, phase);
  }
  void note_best(const candidate& c) {
    best_preemptions_ = c.preemptions;
    best_steps_ = c.steps;
  }

  candidate follow(const std::vector<sched::FiberId>& decisions) {
    lenient_follower follower(decisions);
    sched::Execution ex;
    exec_.run(follower, 0, ex);
    counted("greedy");
    return {ex.decisions, follower.preempted(), ex.finding, ex.steps, ex.preemptions};
  }

  bool same_finding(const sched::Finding& f, const sched::Finding& target) const {
    return f.kind == target.kind && f.message == target.message;
  }

  // Greedy delays of preempting runs; returns the best schedule found.
  candidate greedy(candidate best, const sched::Finding& target) {
    if (best.preempted.size() < best.decisions.size()) best = follow(best.decisions);  // needs the flags
    for (bool improved = true; improved && budget_left();) {
      improved = false;
      const auto runs = runs_of(best.decisions);
      for (size_t j = 0; j + 1 < runs.size() && !improved && budget_left(); ++j) {
        if (!best.preempted[runs[j + 1].first]) continue;  // the switch was forced (block or finish)
        for (int kind = 0; kind < 4 && !improved && budget_left(); ++kind) {
          std::vector<run_of> changed = runs;
          if (!move_run(changed, j, kind)) continue;
          candidate c = follow(flatten(changed));
          if (same_finding(c.finding, target) && better(c, best)) {
            best = std::move(c);
            note_best(best);
            improved = true;
          }
        }
      }
    }
    return best;
  }

  // DFS at `bound`: the best matching schedule found, and whether the bound was exhausted.
  std::pair<std::optional<candidate>, bool> dfs(unsigned bound, const sched::Finding& target, bool stop_at_first) {
    sched::DfsStrategy dfs(bound);
    std::optional<candidate> best;
    sched::Execution ex;
    while (budget_left()) {
      exec_.run(dfs, 0, ex);
      counted("search");
      if (same_finding(ex.finding, target)) {
        candidate c{ex.decisions, {}, ex.finding, ex.steps, ex.preemptions};
        if (!best || better(c, *best)) best = std::move(c);
        if (stop_at_first) return {best, false};
      }
      if (!dfs.next()) return {best, true};
    }
    return {best, false};
  }

 private:
  executor exec_;
  const shrink_request& req_;
  std::chrono::steady_clock::time_point start_;  // for the time budget only, never for a choice inside an execution
  uint64_t used_ = 0, best_preemptions_ = 0, best_steps_ = 0;
  bool out_of_time_ = false, out_of_executions_ = false, interrupted_ = false;
};

}  // namespace

lenient_follower::lenient_follower(const std::vector<switch_point>& switches) : by_switches_(true) {
  for (const auto& s : switches) wanted_.emplace_back(s.step, s.fiber);
  std::sort(wanted_.begin(), wanted_.end());
}

size_t lenient_follower::choose(const sched::Decision& d) {
  std::optional<sched::FiberId> want;
  if (by_switches_) {
    const auto it = std::lower_bound(wanted_.begin(), wanted_.end(), std::make_pair(d.step, sched::FiberId{0}));
    if (it != wanted_.end() && it->first == d.step) want = it->second;
  } else if (d.step < decisions_.size()) {
    want = decisions_[d.step];
  }
  size_t pick = d.count, fallback = 0;  // fallback: the default rule
  for (size_t i = 0; i < d.count; ++i)
    if (d.runnable[i] == d.current) fallback = i;
  if (want)
    for (size_t i = 0; i < d.count; ++i)
      if (d.runnable[i] == *want) pick = i;
  if (pick == d.count) pick = fallback;
  if (pick != fallback) switches_.push_back({d.step, d.runnable[pick]});
  if (preempted_.size() <= d.step) preempted_.resize(d.step + 1, false);
  preempted_[d.step] = d.current != sched::kNoFiber && d.runnable[pick] != d.current;
  return pick;
}

std::string describe_shrink(const shrink_result& r) {
  // What was proven, and what stopped the search for fewer steps (or preemptions) when something did.
  const char* stop = r.steps_minimal          ? nullptr
                     : r.interrupted          ? "stopped early by Ctrl-C"
                     : r.out_of_time          ? "stopped early at the time budget"
                     : r.out_of_executions    ? "stopped early at the execution budget"
                                              : nullptr;
  const std::string proof = !r.preemptions_minimal ? (stop ? fmt::format("{}: not proven minimal", stop) : "not proven minimal")
                            : r.steps_minimal       ? "fewest preemptions and steps proven"
                            : stop                  ? fmt::format("fewest preemptions proven; {}: steps not proven minimal", stop)
                                                    : "fewest preemptions proven";
  return fmt::format("shrunk from {} preemption{}, {} steps to {} preemption{}, {} steps in {} executions, {:.1f}s ({})",
                     r.original_preemptions, r.original_preemptions == 1 ? "" : "s", r.original_steps, r.preemptions,
                     r.preemptions == 1 ? "" : "s", r.steps, r.executions, r.seconds, proof);
}

std::string format_switches(const std::vector<switch_point>& switches) {
  std::string out;
  for (const auto& s : switches) out += fmt::format("{}{}:{}", out.empty() ? "" : ",", s.step, s.fiber);
  return out;
}

std::vector<switch_point> parse_switches(const std::string& text, const std::string& flag) {
  std::vector<switch_point> out;
  auto bad = [&](const std::string& why) {
    return input_error("", flag, fmt::format("expected STEP:THREAD,... (step indexes ascending, thread ids), got \"{}\": {}", text, why));
  };
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find(',', at);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(at, end - at);
    const size_t colon = item.find(':');
    uint64_t step = 0;
    uint32_t fiber = 0;
    if (colon == std::string::npos) throw bad(fmt::format("\"{}\" has no ':'", item));
    const char* b = item.data();
    auto [p1, e1] = std::from_chars(b, b + colon, step);
    auto [p2, e2] = std::from_chars(b + colon + 1, b + item.size(), fiber);
    if (e1 != std::errc{} || p1 != b + colon || colon == 0 || e2 != std::errc{} || p2 != b + item.size() || colon + 1 == item.size())
      throw bad(fmt::format("\"{}\" is not two numbers", item));
    if (!out.empty() && step <= out.back().step) throw bad(fmt::format("step {} does not follow step {}", step, out.back().step));
    if (out.size() >= 100000) throw bad("more than 100000 switches");
    out.push_back({step, fiber});
    at = end + 1;
  }
  return out;
}

namespace {
marked_execution run_marked(const prepared_scenario& prepared, const fix_setting& fixes, lenient_follower& follower,
                            uint64_t max_steps) {
  executor exec(prepared, max_steps, true);
  exec.set_fixes(resolve_fixes(prepared.the_scenario().fixes, fixes));
  marked_execution m;
  exec.run(follower, 0, m.ex);
  for (size_t i = 0; i < follower.preempted().size() && i < m.ex.trace.size(); ++i)
    if (follower.preempted()[i]) m.preemptions.push_back(i);
  m.switches = follower.switches();
  return m;
}
}  // namespace

marked_execution rerun_marked(const prepared_scenario& prepared, const fix_setting& fixes,
                              const std::vector<sched::FiberId>& decisions, uint64_t max_steps) {
  lenient_follower follower(decisions);
  return run_marked(prepared, fixes, follower, max_steps);
}

sched::Execution rerun_footprints(const prepared_scenario& prepared, const fix_setting& fixes,
                                  const std::vector<sched::FiberId>& decisions, uint64_t max_steps) {
  lenient_follower follower(decisions);
  executor exec(prepared, max_steps, true, true);
  exec.set_fixes(resolve_fixes(prepared.the_scenario().fixes, fixes));
  sched::Execution ex;
  exec.run(follower, 0, ex);
  return ex;
}

marked_execution run_switches(const prepared_scenario& prepared, const fix_setting& fixes,
                              const std::vector<switch_point>& switches, uint64_t max_steps) {
  lenient_follower follower(switches);
  return run_marked(prepared, fixes, follower, max_steps);
}

shrink_result shrink(const prepared_scenario& prepared, const std::vector<sched::FiberId>& decisions,
                     const shrink_request& req) {
  shrinker s(prepared, req);
  candidate original = s.follow(decisions);
  s.note_best(original);
  if (classify(original.finding) != outcome::violation)
    throw tool_error(fmt::format("shrink: the schedule does not end with a violation when re-run (it ended {}: {})",
                                 sched::to_string(original.finding.kind), original.finding.message));
  const sched::Finding target = original.finding;
  shrink_result out;
  out.original_steps = original.steps;
  out.original_preemptions = original.preemptions;

  candidate best = s.greedy(original, target);
  // Prove (or improve) the preemption count: every bound below the best, smallest first. A bound that is
  // not exhausted within the budget proves nothing, and larger bounds contain it: stop there.
  bool proven = true;
  for (unsigned bound = 0; bound < best.preemptions; ++bound) {
    if (!s.budget_left()) {
      proven = false;
      break;
    }
    auto [found, exhausted] = s.dfs(bound, target, true);
    if (found) {  // every smaller bound was exhausted: `bound` preemptions is the minimum
      best = s.greedy(*found, target);
      s.note_best(best);
      break;
    }
    if (!exhausted) {
      proven = false;
      break;
    }
  }
  out.preemptions_minimal = proven;
  // Fewest steps at that preemption count.
  if (s.budget_left()) {
    auto [found, exhausted] = s.dfs(static_cast<unsigned>(best.preemptions), target, false);
    if (found && better(*found, best)) best = *found;
    out.steps_minimal = exhausted;
  }
  out.out_of_time = s.out_of_time();
  out.interrupted = s.interrupted();
  out.out_of_executions = s.out_of_executions();
  out.seconds = s.seconds();
  out.decisions = best.decisions;
  out.finding = best.finding;
  out.steps = best.steps;
  out.preemptions = best.preemptions;
  out.executions = s.used();
  return out;
}

}  // namespace fsrace::sim
