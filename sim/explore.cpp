#include "sim/explore.hpp"

#include <fmt/format.h>

namespace fsrace::sim {
namespace {

violation_record record_of(uint64_t index, uint64_t key, const sched::Execution& ex) {
  violation_record r;
  r.index = index;
  r.key = key;
  r.finding = ex.finding;
  r.decisions = ex.decisions;
  r.steps = ex.steps;
  r.preemptions = ex.preemptions;
  return r;
}

// Files one finished execution; returns false when the exploration must stop.
bool account(exploration& out, const explore_request& req, uint64_t index, uint64_t key, const sched::Execution& ex) {
  ++out.executions;
  switch (classify(ex.finding)) {
    case outcome::clean: return true;
    case outcome::tool_error:
      out.tool_error = record_of(index, key, ex);
      return false;
    case outcome::divergence:
      out.divergence = record_of(index, key, ex);
      return false;
    case outcome::violation: break;
  }
  ++out.violating_executions;
  for (auto& v : out.violations)
    if (v.finding.kind == ex.finding.kind && v.finding.message == ex.finding.message) {
      ++v.occurrences;
      return true;
    }
  const bool is_wanted = req.wanted && req.wanted(ex.finding);
  const bool room = req.max_violations == 0 || out.violations.size() < req.max_violations;
  if (room || is_wanted) out.violations.push_back(record_of(index, key, ex));
  if (req.wanted) return !is_wanted;
  return req.max_violations == 0 || out.violations.size() < req.max_violations;
}

}  // namespace

uint64_t pct_estimate(executor& exec) {
  sched::DfsStrategy non_preemptive(0);
  sched::Execution ex;
  exec.run(non_preemptive, 0, ex);
  return std::max<uint64_t>(1, ex.steps);
}

exploration explore(const prepared_scenario& prepared, const explore_request& req) {
  const scenario& sc = prepared.the_scenario();
  exploration out;
  out.settings = req.settings;
  out.fixes = req.fixes;
  const model::fix_set fixes = resolve_fixes(sc.fixes, req.fixes);
  out.fixes_resolved = fixes.describe();
  executor exec(prepared, req.settings.max_steps, false);
  exec.set_fixes(fixes);
  sched::Execution ex;
  auto report = [&](bool force) {
    if (req.progress && (force || (req.progress_every && out.executions % req.progress_every == 0)))
      req.progress(out.executions, out.violations.size());
  };
  const auto& s = req.settings;
  switch (s.strategy) {
    case strategy_kind::random: {
      sched::RandomStrategy strategy;
      for (uint64_t i = 0; i < s.runs; ++i) {
        const uint64_t seed = sched::execution_seed(s.seed, i);
        exec.run(strategy, seed, ex);
        const bool go_on = account(out, req, i, seed, ex);
        report(false);
        if (!go_on) break;
      }
      break;
    }
    case strategy_kind::pct: {
      out.pct_steps = pct_estimate(exec);
      sched::PctStrategy strategy(s.depth, out.pct_steps);
      for (uint64_t i = 0; i < s.runs; ++i) {
        const uint64_t seed = sched::execution_seed(s.seed, i);
        exec.run(strategy, seed, ex);
        const bool go_on = account(out, req, i, seed, ex);
        report(false);
        if (!go_on) break;
      }
      break;
    }
    case strategy_kind::dfs: {
      sched::DfsStrategy strategy(s.preemptions);
      for (uint64_t i = 0; i < s.runs; ++i) {
        exec.run(strategy, 0, ex);
        const bool go_on = account(out, req, i, i, ex);
        report(false);
        if (!strategy.next()) {
          out.exhausted = true;
          break;
        }
        if (!go_on) break;
      }
      break;
    }
  }
  report(true);
  return out;
}

sched::Execution replay_key(const prepared_scenario& prepared, const explore_settings& s, const fix_setting& fixes,
                            uint64_t key) {
  const scenario& sc = prepared.the_scenario();
  executor exec(prepared, s.max_steps, true);
  exec.set_fixes(resolve_fixes(sc.fixes, fixes));
  sched::Execution ex;
  switch (s.strategy) {
    case strategy_kind::random: {
      sched::RandomStrategy strategy;
      exec.run(strategy, key, ex);
      return ex;
    }
    case strategy_kind::pct: {
      sched::PctStrategy strategy(s.depth, pct_estimate(exec));
      exec.run(strategy, key, ex);
      return ex;
    }
    case strategy_kind::dfs: {
      // The enumeration is deterministic: walk it (without traces) up to the execution asked for.
      executor walker(prepared, s.max_steps, false);
      walker.set_fixes(resolve_fixes(sc.fixes, fixes));
      sched::DfsStrategy strategy(s.preemptions);
      for (uint64_t i = 0; i < key; ++i) {
        walker.run(strategy, 0, ex);
        if (!strategy.next())
          throw input_error("", "--seed",
                            fmt::format("DFS with preemption bound {} has only {} executions; there is no execution {}",
                                        s.preemptions, i + 1, key));
      }
      walker.run(strategy, 0, ex);
      return rerun(prepared, fixes, ex.decisions, s.max_steps);
    }
  }
  return ex;
}

sched::Execution rerun(const prepared_scenario& prepared, const fix_setting& fixes,
                       const std::vector<sched::FiberId>& decisions, uint64_t max_steps) {
  executor exec(prepared, max_steps, true);
  exec.set_fixes(resolve_fixes(prepared.the_scenario().fixes, fixes));
  decision_follower follow(decisions);
  sched::Execution ex;
  exec.run(follow, 0, ex);
  return ex;
}

}  // namespace fsrace::sim

#include "sim/schedule_file.hpp"

namespace fsrace::sim {

sched::Execution replay_schedule(const prepared_scenario& prepared, const schedule& s, uint64_t max_steps) {
  executor exec(prepared, max_steps, true);
  exec.set_fixes(resolve_fixes(prepared.the_scenario().fixes, s.fixes));
  sched::ReplayStrategy replay(s.decisions, s.label_hashes, s.labels);
  sched::Execution ex;
  exec.run(replay, 0, ex);
  return ex;
}

}  // namespace fsrace::sim
