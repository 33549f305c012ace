#include "scheduler/strategies/dfs_strategy.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace fsrace::sched {

DfsStrategy::DfsStrategy(unsigned preemption_bound) : bound_(preemption_bound) {}

void DfsStrategy::begin(uint64_t) {}

FiberId DfsStrategy::alternative(const Node& n, uint32_t position) const {
  const FiberId* ids = runnable_.data() + n.first;
  const FiberId preferred = n.current != kNoFiber ? n.current : ids[0];  // non-preemptive default
  if (position == 0) return preferred;
  uint32_t seen = 0;
  for (uint32_t i = 0; i < n.count; ++i) {
    if (ids[i] == preferred) continue;
    if (++seen == position) return ids[i];
  }
  return kNoFiber;  // unreachable for position < count
}

uint32_t DfsStrategy::preemptions_with(const Node& n, FiberId f) const {
  return n.preempts_before + (n.current != kNoFiber && f != n.current ? 1 : 0);
}

size_t DfsStrategy::choose(const Decision& d) {
  const uint64_t depth = d.step;
  if (depth < stack_.size()) {  // replaying the prefix chosen by next()
    const Node& n = stack_[depth];
    const bool same = n.count == d.count && n.current == d.current &&
                      std::equal(d.runnable, d.runnable + d.count, runnable_.begin() + n.first);
    if (!same) {
      if (d.scheduler)
        d.scheduler->fail_current({FindingKind::ToolError,
                                   fmt::format("dfs: re-execution differs at step {}: the program is not "
                                               "deterministic for a given schedule",
                                               depth),
                                   -1, depth});
      return 0;
    }
    const FiberId f = alternative(n, n.tried);
    return static_cast<size_t>(std::find(d.runnable, d.runnable + d.count, f) - d.runnable);
  }
  Node n{static_cast<uint32_t>(runnable_.size()), static_cast<uint32_t>(d.count), d.current, 0, 0};
  if (!stack_.empty()) {
    const Node& prev = stack_.back();
    n.preempts_before = preemptions_with(prev, alternative(prev, prev.tried));
  }
  runnable_.insert(runnable_.end(), d.runnable, d.runnable + d.count);
  stack_.push_back(n);
  const FiberId f = alternative(n, 0);
  return static_cast<size_t>(std::find(d.runnable, d.runnable + d.count, f) - d.runnable);
}

void DfsStrategy::end(const Execution&) { ++executions_; }

bool DfsStrategy::next() {
  while (!stack_.empty()) {  // bounded by the stack depth
    Node& n = stack_.back();
    for (uint32_t p = n.tried + 1; p < n.count; ++p) {
      if (bound_ != kUnbounded && preemptions_with(n, alternative(n, p)) > bound_) continue;
      n.tried = p;
      return true;
    }
    runnable_.resize(n.first);
    stack_.pop_back();
  }
  exhausted_ = true;
  return false;
}

}  // namespace fsrace::sched
