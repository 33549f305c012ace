// dpor: source-set DPOR with sleep sets (sched::DporStrategy). Backtrack points come from races seen in
// later executions anywhere in the tree, so the search is one plan: it cannot be cut into subtrees or
// index ranges. Executions are numbered in search order.
#include <fmt/format.h>

#include "scheduler/strategy.hpp"
#include "sim/explore.hpp"
#include "sim/search/search.hpp"

namespace fsrace::sim {
namespace {

class dpor_runner final : public plan_runner {
 public:
  dpor_runner(unsigned bound, size_t races) : dpor_(bound), races_(races) {
    if (races_ > 0) dpor_.tally_races();
  }
  bool run(const plan&, executor& exec, uint64_t max_executions, const execution_sink& sink) override {
    for (uint64_t i = 0; i < max_executions; ++i) {
      exec.run(dpor_, 0, ex_);
      const bool go_on = sink(ex_);
      if (!dpor_.next()) return true;
      if (!go_on) return false;
    }
    return false;
  }
  void annotate(exploration& out) const override {
    out.redundant = dpor_.redundant();
    out.traces = dpor_.traces();
    out.traces_capped = dpor_.traces_capped();
    if (races_ > 0) out.dpor_races = dpor_.race_pairs(races_);
  }

 private:
  sched::DporStrategy dpor_;
  size_t races_;
  sched::Execution ex_;
};

class dpor_search final : public search {
 public:
  dpor_search(unsigned bound, size_t races) : bound_(bound), races_(races) {}
  uint64_t plan_count() const override { return 1; }
  plan plan_at(uint64_t) const override { return {}; }
  execution_name name(const plan&, uint64_t accounted) const override { return {accounted, accounted}; }
  std::unique_ptr<plan_runner> runner() const override { return std::make_unique<dpor_runner>(bound_, races_); }
  std::vector<sched::FiberId> decisions_of(executor& walker, uint64_t key) const override {
    sched::DporStrategy dpor(bound_);
    sched::Execution ex;
    for (uint64_t i = 0; i < key; ++i) {
      walker.run(dpor, 0, ex);
      if (!dpor.next())
        throw input_error("", "--seed", fmt::format("DPOR with preemption bound {} has only {} executions; there is no "
                                                    "execution {}", bound_, i + 1, key));
    }
    walker.run(dpor, 0, ex);
    return ex.decisions;
  }

 private:
  unsigned bound_;
  size_t races_;
};

}  // namespace

std::unique_ptr<search> make_dpor_search(executor&, const explore_request& req) {
  const uint64_t end = req.end ? req.end : req.settings.runs;
  if (req.part.count > 0 || req.jobs > 1 || req.first != 0 || end != req.settings.runs)
    throw input_error("", req.jobs > 1 ? "--jobs" : "--shard",
                      "dpor runs as one sequential search (each execution adds backtrack points to earlier states); "
                      "use one job and no shard, or dfs to split the search");
  return std::make_unique<dpor_search>(req.settings.preemptions, req.dpor_races);
}

}  // namespace fsrace::sim
