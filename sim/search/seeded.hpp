#pragma once
// What the sampling searches (random, PCT) share: execution i of the run is one plan with its own seed,
// sched::execution_seed(base seed, i), so the seed alone replays it and any worker may run any index.
#include <functional>

#include "sim/explore.hpp"
#include "sim/search/search.hpp"

namespace fsrace::sim {

class seeded_search : public search {
 public:
  /// `make_strategy` builds one worker's strategy (a worker runs many seeds with it).
  seeded_search(const explore_request& req, std::function<std::unique_ptr<sched::Strategy>()> make_strategy);

  uint64_t plan_count() const override { return end_ - first_; }
  plan plan_at(uint64_t i) const override;
  execution_name name(const plan& p, uint64_t) const override { return {p.id, p.seed}; }
  std::unique_ptr<plan_runner> runner() const override;
  std::vector<sched::FiberId> decisions_of(executor& walker, uint64_t key) const override;

 private:
  uint64_t base_seed_, first_, end_;
  std::function<std::unique_ptr<sched::Strategy>()> make_strategy_;
};

}  // namespace fsrace::sim
