#pragma once
#include "scheduler/prng.hpp"
#include "scheduler/strategies/strategy_interface.hpp"

namespace fsrace::sched {

/// Seeded random walk: every decision picks uniformly among the runnable fibers.
class RandomStrategy final : public Strategy {
 public:
  void begin(uint64_t seed) override { prng_.reseed(seed); }
  size_t choose(const Decision& d) override { return d.count == 1 ? 0 : static_cast<size_t>(prng_.below(d.count)); }

 private:
  Prng prng_;
};

}  // namespace fsrace::sched
