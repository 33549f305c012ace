#include "sim/search/seeded.hpp"

#include "scheduler/strategy.hpp"

namespace fsrace::sim {
namespace {

class seeded_runner final : public plan_runner {
 public:
  explicit seeded_runner(std::unique_ptr<sched::Strategy> strategy) : strategy_(std::move(strategy)) {}
  bool run(const plan& p, executor& exec, uint64_t max_executions, const execution_sink& sink,
           const plan_spawn&) override {
    if (max_executions == 0) return false;
    exec.run(*strategy_, p.seed, ex_);
    sink(ex_);
    return true;
  }

 private:
  std::unique_ptr<sched::Strategy> strategy_;
  sched::Execution ex_;
};

}  // namespace

seeded_search::seeded_search(const explore_request& req, std::function<std::unique_ptr<sched::Strategy>()> make_strategy)
    : base_seed_(req.settings.seed),
      first_(req.first),
      end_(req.end ? req.end : req.settings.runs),
      make_strategy_(std::move(make_strategy)) {}

plan seeded_search::plan_at(uint64_t i) const {
  plan p;
  p.id = first_ + i;
  p.seed = sched::execution_seed(base_seed_, p.id);
  return p;
}

std::unique_ptr<plan_runner> seeded_search::runner() const { return std::make_unique<seeded_runner>(make_strategy_()); }

std::vector<sched::FiberId> seeded_search::decisions_of(executor& walker, uint64_t key) const {
  const auto strategy = make_strategy_();
  sched::Execution ex;
  walker.run(*strategy, key, ex);
  return ex.decisions;
}

}  // namespace fsrace::sim
