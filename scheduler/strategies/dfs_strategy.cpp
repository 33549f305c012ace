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
  if (depth < prefix_.size()) {  // a decision of the restricting prefix: its position, never another
    Node& fixed = stack_.back();
    while (fixed.tried < fixed.count && alternative(fixed, fixed.tried) != prefix_[depth]) ++fixed.tried;
    if (fixed.tried == fixed.count) {
      if (d.scheduler)
        d.scheduler->fail_current({FindingKind::ToolError,
                                   fmt::format("dfs: the subtree's decision {} (fiber {}) is not runnable here",
                                               depth, prefix_[depth]),
                                   -1, depth});
      fixed.tried = 0;
      return 0;
    }
  }
  const FiberId f = alternative(stack_.back(), stack_.back().tried);
  return static_cast<size_t>(std::find(d.runnable, d.runnable + d.count, f) - d.runnable);
}

void DfsStrategy::end(const Execution&) { ++executions_; }

bool DfsStrategy::next() {
  while (stack_.size() > prefix_.size()) {  // bounded by the stack depth
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

void DfsStrategy::restrict(std::vector<FiberId> prefix) {
  prefix_ = std::move(prefix);
  stack_.clear();
  runnable_.clear();
  exhausted_ = false;
}

std::vector<FiberId> DfsStrategy::children(size_t depth) const {
  std::vector<FiberId> out;
  if (depth >= stack_.size()) return out;
  const Node& n = stack_[depth];
  for (uint32_t p = 0; p < n.count; ++p) {
    const FiberId f = alternative(n, p);
    if (bound_ == kUnbounded || preemptions_with(n, f) <= bound_) out.push_back(f);
  }
  return out;
}

}  // namespace fsrace::sched
