#pragma once
// What an exploration covered, in words for people (console, JUnit, HTML, JSON "coverage"): one phrase
// for a single run and for merged shards alike.
#include <cstdint>
#include <string>

namespace fsrace::sim {

struct coverage_facts {
  uint64_t executions = 0;
  bool exhausted = false;    // the whole bounded space was explored
  bool systematic = false;   // dfs or dpor (else a sample: random, pct)
  bool reduced = false;      // dpor: its executions stand for classes of the DFS space
  bool time_up = false;      // the time budget stopped it
  double estimate = 0;       // estimated executions of the bounded DFS space (0: not estimated)
  double estimate_error = 0; // relative standard error of the estimate
  bool estimate_settled = false;  // the estimate may be given as "about M" (sched::TreeEstimate::settled)
};

/// "the bounded space is exhausted", "a sample of 1000 executions", "not exhausted: 20000 of about 11.2
/// million executions (±6%)", "not exhausted: 20000 executions of an unknown total (the estimate did not
/// settle)", each followed by "; stopped by the time budget" when it was.
std::string coverage_phrase(const coverage_facts&);

}  // namespace fsrace::sim
