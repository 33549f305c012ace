#include "scheduler/strategies/pct_strategy.hpp"

#include <algorithm>
#include <stdexcept>

namespace fsrace::sched {

PctStrategy::PctStrategy(unsigned depth, uint64_t est_steps) : depth_(depth), est_steps_(est_steps) {
  if (depth == 0) throw std::invalid_argument("fsrace: PCT depth must be >= 1");
}

void PctStrategy::set_estimated_steps(uint64_t k) { est_steps_ = k; }

uint64_t PctStrategy::estimated_steps() const {
  if (est_steps_ != 0) return est_steps_;
  return std::max<uint64_t>(1, max_steps_seen_);
}

void PctStrategy::begin(uint64_t seed) {
  prng_.reseed(seed);
  priority_.clear();
  rank_.clear();
  change_points_.clear();
  const uint64_t k = estimated_steps();
  // d-1 change points, distinct when [1, k] is large enough (bounded retries otherwise).
  for (unsigned i = 1; i < depth_; ++i) {
    uint64_t point = prng_.between(1, k);
    for (int attempt = 0; attempt < 64 && std::find(change_points_.begin(), change_points_.end(), point) !=
                                              change_points_.end();
         ++attempt)
      point = prng_.between(1, k);
    change_points_.push_back(point);
  }
}

void PctStrategy::first_sight(FiberId f) {
  // Inserting each new fiber at a uniform position of the ranking yields a uniform permutation.
  const size_t position = static_cast<size_t>(prng_.below(rank_.size() + 1));
  rank_.insert(rank_.begin() + static_cast<std::ptrdiff_t>(position), f);
  if (priority_.size() <= f) priority_.resize(f + 1, 0);
  // Initial priorities are depth .. depth+n-1, highest first in rank_; fibers already lowered by a
  // change point (priority < depth) keep their low priority.
  for (size_t r = 0; r < rank_.size(); ++r) {
    uint64_t& p = priority_[rank_[r]];
    if (p == 0 || p >= depth_ || rank_[r] == f) p = depth_ + (rank_.size() - 1 - r);
  }
}

size_t PctStrategy::choose(const Decision& d) {
  for (size_t i = 0; i < d.count; ++i) {  // new fibers first: an arrival renumbers initial priorities
    const FiberId f = d.runnable[i];
    if (f >= priority_.size() || priority_[f] == 0) first_sight(f);
  }
  size_t best = 0;
  for (size_t i = 1; i < d.count; ++i)
    if (priority_[d.runnable[i]] > priority_[d.runnable[best]]) best = i;
  const uint64_t step_number = d.step + 1;  // the paper counts steps from 1
  for (size_t i = 0; i < change_points_.size(); ++i) {
    if (change_points_[i] != step_number) continue;
    priority_[d.runnable[best]] = i + 1;  // the i-th change point: priority i, below every initial one
    for (size_t j = 0; j < d.count; ++j)
      if (priority_[d.runnable[j]] > priority_[d.runnable[best]]) best = j;
    break;
  }
  return best;
}

void PctStrategy::end(const Execution& e) { max_steps_seen_ = std::max(max_steps_seen_, e.steps); }

}  // namespace fsrace::sched
