// dfs: bounded exhaustive search (sched::DfsStrategy). Executions are numbered in search order. With
// --jobs or --shard the tree is cut into subtrees (sim/dfs_split.hpp) whose searches, one after another,
// visit exactly the executions of the whole search in the same order: a shard takes every N-th subtree.
#include <fmt/format.h>

#include "scheduler/strategy.hpp"
#include "sim/dfs_split.hpp"
#include "sim/explore.hpp"
#include "sim/search/search.hpp"

namespace fsrace::sim {
namespace {

class dfs_runner final : public plan_runner {
 public:
  explicit dfs_runner(unsigned bound) : dfs_(bound) {}
  bool run(const plan& p, executor& exec, uint64_t max_executions, const execution_sink& sink,
           const plan_spawn&) override {
    dfs_.restrict(p.prefix);
    for (uint64_t i = 0; i < max_executions; ++i) {
      exec.run(dfs_, 0, ex_);
      const bool go_on = sink(ex_);
      if (!dfs_.next()) return true;
      if (!go_on) return false;
    }
    return false;
  }

 private:
  sched::DfsStrategy dfs_;
  sched::Execution ex_;
};

class dfs_search final : public search {
 public:
  dfs_search(executor& probe, const explore_request& req) : bound_(req.settings.preemptions), part_(req.part) {
    const uint64_t parts = req.part.count ? req.part.count : (req.jobs > 1 ? req.jobs : 0);
    if (parts == 0) return;  // one plan: the whole tree
    all_ = dfs_subtrees(probe, bound_, parts * kSubtreesPerPart);
    const uint64_t step = std::max<uint64_t>(1, req.part.count);
    for (uint64_t i = req.part.index; i < all_.size(); i += step) mine_.push_back(i);
  }
  uint64_t plan_count() const override { return all_.empty() ? 1 : mine_.size(); }
  plan plan_at(uint64_t i) const override {
    plan p;
    if (all_.empty()) return p;
    p.id = mine_[i];
    p.prefix = all_[mine_[i]];
    return p;
  }
  uint64_t subtree_count() const override { return all_.size(); }
  execution_name name(const plan&, uint64_t accounted) const override { return {accounted, accounted}; }
  std::unique_ptr<plan_runner> runner() const override { return std::make_unique<dfs_runner>(bound_); }

  // The enumeration is deterministic: walk it (untraced) up to the execution asked for.
  std::vector<sched::FiberId> decisions_of(executor& walker, uint64_t key) const override {
    sched::DfsStrategy dfs(bound_);
    sched::Execution ex;
    uint64_t i = 0;
    for (uint64_t t = 0; t < plan_count(); ++t) {
      dfs.restrict(plan_at(t).prefix);
      do {
        walker.run(dfs, 0, ex);
        if (i++ == key) return ex.decisions;
      } while (dfs.next());
    }
    const std::string what = part_.count ? fmt::format("DFS part {}/{}", part_.index, part_.count) : "DFS";
    throw input_error("", "--seed", fmt::format("{} with preemption bound {} has only {} executions; there is no "
                                                "execution {}", what, bound_, i, key));
  }

 private:
  unsigned bound_;
  dfs_part part_;
  std::vector<std::vector<sched::FiberId>> all_;  // every subtree of the whole search (empty: not cut)
  std::vector<uint64_t> mine_;                    // the part's subtrees, in order
};

}  // namespace

std::unique_ptr<search> make_dfs_search(executor& probe, const explore_request& req) {
  const uint64_t end = req.end ? req.end : req.settings.runs;
  if (req.first != 0 || end != req.settings.runs)
    throw input_error("", "--shard", "dfs explores one tree in order; it cannot be split into index ranges");
  if (req.part.count && req.part.index >= req.part.count) throw tool_error("explore: dfs part index out of range");
  return std::make_unique<dfs_search>(probe, req);
}

}  // namespace fsrace::sim
