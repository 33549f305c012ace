#pragma once
// The validation harness for footprint declarations: the set of outcomes a search reaches, where an
// outcome is how an execution ended (the finding's kind and message) and, for one that ended clean, a
// fingerprint of its final state. DPOR treats declared-independent steps as commuting; if a declaration
// is too small, some order of truly dependent steps is never explored and an outcome DFS reaches is
// missing from DPOR's set. So for one program and bound: outcomes(DPOR) must equal outcomes(DFS).
#include <compare>
#include <cstdint>
#include <set>
#include <string>

#include <fmt/format.h>

#include "scheduler/scheduler.hpp"

namespace fsrace::sched::testing {

struct Outcome {
  FindingKind kind = FindingKind::None;
  std::string message;
  uint64_t fingerprint = 0;  // of the final state; 0 for an execution that ended in a finding
  auto operator<=>(const Outcome&) const = default;
};

struct OutcomeSet {
  std::set<Outcome> outcomes;
  uint64_t executions = 0;
  bool exhausted = false;
};

/// Runs `strategy` (DfsStrategy or DporStrategy) to its end or `max_executions`. `run_one(strategy)`
/// runs one execution and returns {the execution, the fingerprint of its final state}. Executions DPOR
/// knows to be redundant (sleep-set blocked) are counted but add no outcome.
template <class S, class RunOne>
OutcomeSet collect_outcomes(S& strategy, RunOne&& run_one, uint64_t max_executions) {
  OutcomeSet out;
  bool more = true;
  while (more && out.executions < max_executions) {  // bounded by max_executions
    const auto [ex, fingerprint] = run_one(strategy);
    ++out.executions;
    bool redundant = false;
    if constexpr (requires { strategy.last_was_redundant(); }) redundant = strategy.last_was_redundant();
    if (!redundant)
      out.outcomes.insert({ex.finding.kind, ex.finding.message, ex.finding.kind == FindingKind::None ? fingerprint : 0});
    more = strategy.next();
  }
  out.exhausted = strategy.exhausted();
  return out;
}

/// The outcomes of `a` that `b` lacks, one per line (empty when a is a subset of b).
inline std::string missing_from(const OutcomeSet& a, const OutcomeSet& b) {
  std::string text;
  for (const Outcome& o : a.outcomes)
    if (!b.outcomes.count(o))
      text += fmt::format("  {} '{}' state {:#x}\n", to_string(o.kind), o.message, o.fingerprint);
  return text;
}

}  // namespace fsrace::sched::testing
