#include "sim/shrink.hpp"

#include <algorithm>

#include <fmt/format.h>

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
  shrinker(const prepared_scenario& p, const shrink_request& req) : exec_(p, req.max_steps, false), req_(req) {
    exec_.set_fixes(resolve_fixes(p.the_scenario().fixes, req.fixes));
  }

  bool budget_left() const { return used_ < req_.budget; }
  uint64_t used() const { return used_; }

  candidate follow(const std::vector<sched::FiberId>& decisions) {
    lenient_follower follower(decisions);
    sched::Execution ex;
    exec_.run(follower, 0, ex);
    ++used_;
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
      ++used_;
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
  uint64_t used_ = 0;
};

}  // namespace

size_t lenient_follower::choose(const sched::Decision& d) {
  size_t pick = d.count;
  if (d.step < decisions_.size())
    for (size_t i = 0; i < d.count; ++i)
      if (d.runnable[i] == decisions_[d.step]) pick = i;
  if (pick == d.count)
    for (size_t i = 0; i < d.count; ++i)
      if (d.runnable[i] == d.current) pick = i;
  if (pick == d.count) pick = 0;
  if (preempted_.size() <= d.step) preempted_.resize(d.step + 1, false);
  preempted_[d.step] = d.current != sched::kNoFiber && d.runnable[pick] != d.current;
  return pick;
}

shrink_result shrink(const prepared_scenario& prepared, const std::vector<sched::FiberId>& decisions,
                     const shrink_request& req) {
  shrinker s(prepared, req);
  candidate original = s.follow(decisions);
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
  out.decisions = best.decisions;
  out.finding = best.finding;
  out.steps = best.steps;
  out.preemptions = best.preemptions;
  out.executions = s.used();
  return out;
}

}  // namespace fsrace::sim
