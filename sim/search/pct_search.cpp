// pct: probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010) with bug depth d; k, the steps
// an execution takes, is measured once on the execution that never preempts.
#include "scheduler/strategy.hpp"
#include "sim/search/seeded.hpp"

namespace fsrace::sim {
namespace {

class pct_search final : public seeded_search {
 public:
  pct_search(const explore_request& req, uint32_t depth, uint64_t steps)
      : seeded_search(req, [depth, steps] { return std::make_unique<sched::PctStrategy>(depth, steps); }), steps_(steps) {}
  void annotate(exploration& out) const override { out.pct_steps = steps_; }

 private:
  uint64_t steps_;
};

}  // namespace

uint64_t pct_estimate(executor& exec) {
  sched::DfsStrategy non_preemptive(0);
  sched::Execution ex;
  exec.run(non_preemptive, 0, ex);
  return std::max<uint64_t>(1, ex.steps);
}

std::unique_ptr<search> make_pct_search(executor& probe, const explore_request& req) {
  return std::make_unique<pct_search>(req, req.settings.depth, pct_estimate(probe));
}

}  // namespace fsrace::sim
