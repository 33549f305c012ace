#pragma once
// A search: how an exploration chooses its executions, behind one interface (as Shuttle's
// Scheduler::new_execution). The explorer (sim/explore.cpp) knows no strategy: it asks the search for its
// plans, hands them to workers and accounts their executions in plan order. A plan is a unit of work a
// worker runs on its own (one seed, one DFS subtree, a DPOR subtree); the key of each of its
// executions is the replay token (`fsrace replay --seed KEY`). Shards and --jobs divide plans, never the
// executions of one plan. A new strategy is one file in this folder and its row in search.cpp's table.
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "scheduler/scheduler.hpp"
#include "sim/prepared.hpp"

namespace fsrace::sim {

struct explore_request;
struct exploration;

/// How the plans of a search may be divided between shards and workers.
enum class division {
  seeds,     // one execution per plan, each with its own seed: any index range, any worker
  subtrees,  // disjoint subtrees of one decision tree, in search order: a shard takes every N-th one
  spawned,   // one plan that cuts subtrees off itself as it runs (new plans, accounted after it; a split
             // DPOR): any worker; a shard runs the first plan and takes every N-th plan it cuts off
};

/// A unit of work: what one worker explores on its own.
struct plan {
  uint64_t id = 0;                     // seeds: the execution index; subtrees: the subtree's id; spawned: 0
  uint64_t seed = 0;                   // seeds: the execution seed
  std::vector<sched::FiberId> prefix;  // subtrees: the decisions every execution of the plan begins with
  /// false: a plan this shard runs only for the plans it cuts off (division::spawned: every shard runs the
  /// first plan, shard 0 accounts its executions).
  bool accounted = true;
};

/// Called after each execution of a plan; returns false to stop the plan there.
using execution_sink = std::function<bool(const sched::Execution&)>;
/// Called by a plan that cuts part of its own space off as new plans (division::spawned). They are
/// accounted after the plan's own executions, the group handed over last first, each group in order: a
/// search cut at ever deeper states then keeps its depth-first order.
using plan_spawn = std::function<void(std::vector<plan>)>;
/// The plan order push_spawned gives: `groups` (in the order they were spawned) onto a stack whose
/// back is taken next.
template <class T>
void push_spawned(std::vector<T>& stack, std::vector<std::vector<T>> groups) {
  for (auto& g : groups)
    for (auto it = g.rbegin(); it != g.rend(); ++it) stack.push_back(std::move(*it));
}

/// What a reducing search says of one execution (the explorer sums them over the executions it accounts).
struct execution_facts {
  bool redundant = false;  // sleep-set blocked
  uint64_t trace = 0;      // its Mazurkiewicz trace's hash; 0: none (redundant)
};

/// Runs plans for one worker, keeping its strategy between plans (for its buffers' capacity).
class plan_runner {
 public:
  virtual ~plan_runner() = default;
  /// Runs the executions of `p` on `exec` in order, at most `max_executions`, calling `sink` after each;
  /// a search that cuts itself (division::spawned) hands the plans it cuts off to `spawn`.
  /// Returns true when the plan ran to its end (its space exhausted), false when stopped before.
  virtual bool run(const plan& p, executor& exec, uint64_t max_executions, const execution_sink& sink,
                   const plan_spawn& spawn) = 0;
  /// The facts of the execution the sink was just called for (reducing searches).
  virtual execution_facts last_facts() const { return {}; }
  /// Strategy facts for the result (DPOR's race tally), after the run.
  virtual void annotate(exploration&) const {}
};

/// Where an accounted execution stands in the result: its index and the key that replays it.
struct execution_name {
  uint64_t index = 0, key = 0;
};

class search {
 public:
  virtual ~search() = default;
  /// The plans of the part of the search asked for (an index range of seeds, a shard's subtrees), in order.
  virtual uint64_t plan_count() const = 0;
  virtual plan plan_at(uint64_t i) const = 0;
  /// How many subtrees the whole search was cut into (0: not cut; the result lists them for merging).
  virtual uint64_t subtree_count() const { return 0; }
  /// division::spawned: whether this part of the search owns the plan that one of its own plans cut off
  /// as its `seq`-th (from 0, in the order they were cut off). Plans cut off by cut-off plans stay with
  /// the part that runs them.
  virtual bool owns_cut(uint64_t /*seq*/) const { return true; }
  /// The name of the execution the explorer accounts as number `accounted` (from 0), run by plan `p`.
  virtual execution_name name(const plan& p, uint64_t accounted) const = 0;
  virtual std::unique_ptr<plan_runner> runner() const = 0;
  /// Strategy facts for the result (PCT's k).
  virtual void annotate(exploration&) const {}
  /// The decisions of the execution `key` names: the replay token resolved. `walker` runs what it needs
  /// (untraced). Throws input_error when the search has no such execution.
  virtual std::vector<sched::FiberId> decisions_of(executor& walker, uint64_t key) const = 0;
};

/// The search `req.settings` names, over the executions `req` asks for (its index range or DFS part):
/// refuses a division the strategy cannot make (shards, jobs). `probe` runs the executions a search needs
/// for its plan (PCT's non-preemptive run, DFS's subtree cut).
std::unique_ptr<search> make_search(executor& probe, const explore_request& req);

/// The strategies, by name.
struct search_entry {
  strategy_kind kind;
  const char* name;
  division divides;
  bool systematic;  // enumerates a space a clean run can exhaust (else it samples it)
  bool reduced;     // counts one execution per class of equivalent ones (partial-order reduction)
  bool takes_depth, takes_preemptions;  // which of explore_settings' parameters it reads (--depth, --preemptions)
  std::unique_ptr<search> (*make)(executor& probe, const explore_request& req);
};
const search_entry& search_of(strategy_kind);
const std::vector<search_entry>& all_searches();

/// k for PCT: the step count of the execution that never preempts (depends on scenario and fixes only).
uint64_t pct_estimate(executor&);

}  // namespace fsrace::sim
