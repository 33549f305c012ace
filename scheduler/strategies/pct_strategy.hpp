#pragma once
#include <vector>

#include "scheduler/prng.hpp"
#include "scheduler/strategies/strategy_interface.hpp"

namespace fsrace::sched {

/// PCT (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010). Per execution: fibers get random
/// distinct priorities >= depth (a uniform random permutation, built as fibers are first seen in id
/// order); depth-1 change points k_1..k_{d-1} are drawn distinct and uniform in [1, est_steps]; the
/// highest-priority runnable fiber always runs; the fiber that would run step k_i first drops to
/// priority i (below every initial priority). Finds a depth-d bug with probability >= 1/(n*k^(d-1)).
class PctStrategy final : public Strategy {
 public:
  /// est_steps = 0: estimate adaptively from the longest execution seen so far (at least 1).
  explicit PctStrategy(unsigned depth, uint64_t est_steps = 0);

  void begin(uint64_t seed) override;
  size_t choose(const Decision&) override;
  void end(const Execution&) override;

  /// k of the paper; the caller may refine it between executions (e.g. from max_steps_seen()).
  void set_estimated_steps(uint64_t k);
  uint64_t estimated_steps() const;
  uint64_t max_steps_seen() const { return max_steps_seen_; }
  unsigned depth() const { return depth_; }

 private:
  void first_sight(FiberId);
  unsigned depth_;
  uint64_t est_steps_;  // 0 = adaptive
  uint64_t max_steps_seen_ = 0;
  Prng prng_;
  std::vector<uint64_t> priority_;       // by FiberId; 0 = not seen yet
  std::vector<FiberId> rank_;            // fibers seen, highest initial priority first
  std::vector<uint64_t> change_points_;  // change_points_[i-1] = k_i (1-based step numbers)
};

}  // namespace fsrace::sched
