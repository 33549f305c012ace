// dpor: source-set DPOR with sleep sets (sched::DporStrategy). Backtrack points come from races seen in
// later executions anywhere below a state, so the search cannot be cut ahead of running it. It cuts
// itself as it runs instead: every kSplitEvery executions a plan splits the untried choices of its
// shallowest open state off as new plans (DporStrategy::split), which any worker may search while it goes
// on. The cut depends only on the plan's own executions, never on the job count, so every --jobs gives
// the same executions in the same order. Sleep sets do not cross the cut: a search larger than
// kSplitEvery runs a few more executions than it would uncut (README, Performance). A shard cannot know
// the plans another shard's plans cut off without running them: no shards. Executions are numbered in
// accounting order.
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
  dpor_search(unsigned bound, size_t races, uint64_t split_every)
      : bound_(bound), races_(races), split_every_(split_every) {}
  uint64_t plan_count() const override { return 1; }
  plan plan_at(uint64_t) const override { return {}; }
  execution_name name(const plan&, uint64_t accounted) const override { return {accounted, accounted}; }
  std::unique_ptr<plan_runner> runner() const override { return std::make_unique<dpor_runner>(bound_, races_, split_every_); }
  // The plans in accounting order, one after another (untraced), up to the execution asked for.
  std::vector<sched::FiberId> decisions_of(executor& walker, uint64_t key) const override {
    dpor_runner runner(bound_, 0, split_every_);
    std::vector<plan> todo{plan{}};
    uint64_t i = 0;
    std::vector<sched::FiberId> found;
    bool got = false;
    while (!todo.empty() && !got) {  // bounded: the plans of a finite search
      const plan p = std::move(todo.back());
      todo.pop_back();
      std::vector<std::vector<plan>> groups;
      runner.run(p, walker, key - i + 1, [&](const sched::Execution& ex) {
        if (i++ < key) return true;
        found = ex.decisions;
        got = true;
        return false;
      }, [&groups](std::vector<plan> g) { groups.push_back(std::move(g)); });
      if (!got) push_spawned(todo, std::move(groups));
    }
    if (!got)
      throw input_error("", "--seed", fmt::format("DPOR with preemption bound {} has only {} executions; there is no "
                                                  "execution {}", bound_, i, key));
    return found;
  }

 private:
  unsigned bound_;
  size_t races_;
  uint64_t split_every_;
};

}  // namespace

std::unique_ptr<search> make_dpor_search(executor&, const explore_request& req) {
  const uint64_t end = req.end ? req.end : req.settings.runs;
  if (req.part.count > 0 || req.first != 0 || end != req.settings.runs)
    throw input_error("", "--shard",
                      "dpor cuts its search into subtrees as it runs it, so a shard cannot know its part without "
                      "running the others'; use --jobs on one machine, or dfs to shard");
  if (req.jobs > 1 && req.dpor_races > 0)
    throw input_error("", "--dpor-races", "the race tally counts the executions one worker runs; use it with --jobs 1");
  return std::make_unique<dpor_search>(req.settings.preemptions, req.dpor_races,
                                       req.dpor_split_every ? req.dpor_split_every : kSplitEvery);
}

}  // namespace fsrace::sim
