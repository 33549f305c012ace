// dpor: source-set DPOR with sleep sets (sched::DporStrategy). Backtrack points come from races seen in
// later executions anywhere below a state, so the search cannot be cut ahead of running it. It cuts
// itself as it runs instead: every kSplitEvery executions a plan splits the untried choices of its
// shallowest open state off as new plans (DporStrategy::split), which any worker may search while it goes
// on. The cut depends only on the plan's own executions, never on the job count, so every --jobs gives
// the same executions in the same order. Sleep sets do not cross the cut: a search larger than
// kSplitEvery runs a few more executions than it would uncut (README, Performance). A shard cannot know
// the plans another shard's plans cut off without running them, so shard K of N runs the first plan (the
// whole search's start, accounted by shard 0 only) and takes the plans it cuts off with i mod N = K (i
// counted in the order they are cut off), with all they cut off in turn; its result lists its plans by
// their place in the tree of plans, which merging orders back into the whole search. Executions are
// numbered in accounting order (of the shard's plans, for a shard).
#include <fmt/format.h>

#include "scheduler/strategy.hpp"
#include "sim/explore.hpp"
#include "sim/search/search.hpp"

namespace fsrace::sim {
namespace {

// Executions of a plan between two cuts: large enough that searches of a few seconds are never cut
// (they run exactly the uncut search), small enough that a bound-2 search of a data-path scenario
// (hundreds of thousands of executions) gives every worker plans early.
constexpr uint64_t kSplitEvery = 16384;

class dpor_runner final : public plan_runner {
 public:
  dpor_runner(unsigned bound, size_t races, uint64_t split_every)
      : dpor_(bound), races_(races), split_every_(split_every) {
    if (races_ > 0) dpor_.tally_races();
  }
  bool run(const plan& p, executor& exec, uint64_t max_executions, const execution_sink& sink,
           const plan_spawn& spawn) override {
    dpor_.restrict(p.prefix);
    uint64_t since_cut = 0;
    for (uint64_t i = 0; i < max_executions; ++i) {
      exec.run(dpor_, 0, ex_);
      facts_ = {dpor_.last_was_redundant(), dpor_.last_trace()};
      const bool go_on = sink(ex_);
      if (!dpor_.next()) return true;
      if (!go_on) return false;
      if (++since_cut >= split_every_) {
        std::vector<std::vector<sched::FiberId>> cut = dpor_.split();
        if (cut.empty()) continue;  // no open state on this path: try after the next execution
        since_cut = 0;
        std::vector<plan> group(cut.size());
        for (size_t k = 0; k < cut.size(); ++k) group[k].prefix = std::move(cut[k]);
        spawn(std::move(group));
      }
    }
    return false;
  }
  execution_facts last_facts() const override { return facts_; }
  void annotate(exploration& out) const override {
    if (races_ > 0) out.dpor_races = dpor_.race_pairs(races_);
  }

 private:
  sched::DporStrategy dpor_;
  size_t races_;
  uint64_t split_every_;
  sched::Execution ex_;
  execution_facts facts_;
};

class dpor_search final : public search {
 public:
  dpor_search(unsigned bound, size_t races, uint64_t split_every, dfs_part part)
      : bound_(bound), races_(races), split_every_(split_every), part_(part) {}
  uint64_t plan_count() const override { return 1; }
  plan plan_at(uint64_t) const override {
    plan p;
    p.accounted = part_.count == 0 || part_.index == 0;
    return p;
  }
  bool owns_cut(uint64_t seq) const override { return part_.count == 0 || seq % part_.count == part_.index; }
  execution_name name(const plan&, uint64_t accounted) const override { return {accounted, accounted}; }
  std::unique_ptr<plan_runner> runner() const override { return std::make_unique<dpor_runner>(bound_, races_, split_every_); }
  // The plans in accounting order, one after another (untraced), up to the execution asked for; a part
  // runs the first plan for its cuts alone unless it is part 0, and keeps the cut-off plans it owns.
  std::vector<sched::FiberId> decisions_of(executor& walker, uint64_t key) const override {
    dpor_runner runner(bound_, 0, split_every_);
    std::vector<plan> todo{plan_at(0)};
    uint64_t i = 0;
    std::vector<sched::FiberId> found;
    bool got = false, first = true;
    while (!todo.empty() && !got) {  // bounded: the plans of a finite search
      const plan p = std::move(todo.back());
      todo.pop_back();
      std::vector<std::vector<plan>> groups;
      uint64_t seq = 0;
      runner.run(p, walker, p.accounted ? key - i + 1 : UINT64_MAX, [&](const sched::Execution& ex) {
        if (!p.accounted) return true;
        if (i++ < key) return true;
        found = ex.decisions;
        got = true;
        return false;
      }, [&](std::vector<plan> g) {
        if (first) std::erase_if(g, [&](const plan&) { return !owns_cut(seq++); });
        groups.push_back(std::move(g));
      });
      first = false;
      if (!got) push_spawned(todo, std::move(groups));
    }
    if (!got) {
      const std::string what = part_.count ? fmt::format("DPOR part {}/{}", part_.index, part_.count) : "DPOR";
      throw input_error("", "--seed", fmt::format("{} with preemption bound {} has only {} executions; there is no "
                                                  "execution {}", what, bound_, i, key));
    }
    return found;
  }

 private:
  unsigned bound_;
  size_t races_;
  uint64_t split_every_;
  dfs_part part_;
};

}  // namespace

std::unique_ptr<search> make_dpor_search(executor&, const explore_request& req) {
  const uint64_t end = req.end ? req.end : req.settings.runs;
  if (req.first != 0 || end != req.settings.runs)
    throw input_error("", "--shard", "dpor explores one tree of plans in order; it cannot be split into index ranges");
  if (req.part.count && req.part.index >= req.part.count) throw tool_error("explore: dpor part index out of range");
  if ((req.jobs > 1 || req.part.count > 0) && req.dpor_races > 0)
    throw input_error("", "--dpor-races", "the race tally counts the executions one worker runs; use it with --jobs 1 "
                                          "and no --shard");
  return std::make_unique<dpor_search>(req.settings.preemptions, req.dpor_races,
                                       req.dpor_split_every ? req.dpor_split_every : kSplitEvery, req.part);
}

}  // namespace fsrace::sim
