// random: every decision uniformly among the runnable fibers, from the execution's seed.
#include "scheduler/strategy.hpp"
#include "sim/search/seeded.hpp"

namespace fsrace::sim {

std::unique_ptr<search> make_random_search(executor&, const explore_request& req) {
  return std::make_unique<seeded_search>(req, [] { return std::make_unique<sched::RandomStrategy>(); });
}

}  // namespace fsrace::sim
