// Bounded DFS over a race test's environment, stopping at the first execution that finds something.
// An environment has `result run(Scheduler&, Strategy&, uint64_t seed, const fix_set&) const`, and its
// result has `bool found() const`.
#pragma once
#include <cstdint>
#include <optional>
#include <utility>

#include "model/fixes.hpp"
#include "scheduler/scheduler.hpp"
#include "scheduler/strategy.hpp"

namespace fsrace::test {

template <class Env>
struct dfs_outcome {
  uint64_t executions = 0;
  bool exhausted = false;
  std::optional<typename Env::result> failure;
};

template <class Env>
dfs_outcome<Env> explore_dfs_until_found(const Env& env, const model::fix_set& fixes, unsigned preemption_bound,
                                         uint64_t max_executions, uint64_t max_steps) {
  sched::Scheduler s(sched::Options{.max_steps = max_steps});
  sched::DfsStrategy dfs(preemption_bound);
  dfs_outcome<Env> out;
  do {
    typename Env::result r = env.run(s, dfs, 0, fixes);
    ++out.executions;
    if (r.found()) {
      out.failure = std::move(r);
      return out;
    }
  } while (out.executions < max_executions && dfs.next());
  out.exhausted = dfs.exhausted();
  return out;
}

}  // namespace fsrace::test
