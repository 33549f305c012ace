#pragma once
#include <cstdint>

#include "scheduler/prng.hpp"
#include "scheduler/strategies/strategy_interface.hpp"

namespace fsrace::sched {

/// Estimates how many executions a bounded DFS has (Knuth, "Estimating the efficiency of backtrack
/// programs", Math. Comp. 1975). One probe walks one uniformly random path of the search tree, taking at
/// every decision one of the children the DFS would try (the children within the preemption bound);
/// the product of the children counts along the path is an unbiased estimate of the number of leaves
/// (executions). The mean over several probes is "about M executions" of an unexhausted search.
class KnuthProbe final : public Strategy {
 public:
  explicit KnuthProbe(unsigned preemption_bound) : bound_(preemption_bound) {}
  void begin(uint64_t seed) override {
    prng_.reseed(seed);
    product_ = 1;
    preemptions_ = 0;
  }
  size_t choose(const Decision& d) override {
    if (d.current == kNoFiber) {  // no preemption possible: every runnable fiber is a child
      product_ *= static_cast<double>(d.count);
      return d.count == 1 ? 0 : static_cast<size_t>(prng_.below(d.count));
    }
    size_t current = 0;
    while (d.runnable[current] != d.current) ++current;  // bounded by d.count: current is runnable
    if (preemptions_ >= bound_ || d.count == 1) return current;
    product_ *= static_cast<double>(d.count);
    const size_t pick = static_cast<size_t>(prng_.below(d.count));
    if (pick != current) ++preemptions_;
    return pick;
  }
  /// The estimate of the last probe (executions of the bounded space).
  double product() const { return product_; }

 private:
  unsigned bound_;
  Prng prng_;
  double product_ = 1;
  unsigned preemptions_ = 0;
};

}  // namespace fsrace::sched
