#pragma once
// Splitting a bounded DFS into disjoint subtrees, for --shard and --jobs. A subtree is a decision prefix;
// searching the subtrees one after another in the order returned visits exactly the executions of the
// whole search, in the same order, so N machines or threads together cover what one would.
#include <cstdint>
#include <vector>

#include "scheduler/scheduler.hpp"
#include "sim/prepared.hpp"

namespace fsrace::sim {

/// Decision prefixes cut breadth-first (one execution per prefix expanded) until there are at least
/// `at_least` of them or every prefix is a whole execution. Deterministic: it depends on the program,
/// the fixes and the bound only, so every shard computes the same list.
std::vector<std::vector<sched::FiberId>> dfs_subtrees(executor&, unsigned preemption_bound, uint64_t at_least);

/// Subtrees per part: enough that round-robin assignment balances parts whose subtrees differ in size.
constexpr uint64_t kSubtreesPerPart = 16;

}  // namespace fsrace::sim
