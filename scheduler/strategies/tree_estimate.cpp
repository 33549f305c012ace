#include "scheduler/strategies/tree_estimate.hpp"

#include <algorithm>
#include <cmath>

#include "scheduler/prng.hpp"

namespace fsrace::sched {

void ContinuationProbe::begin(uint64_t) {
  points_.clear();
  alternatives_.clear();
  preemptions_ = 0;
  followed_ = true;
}

size_t ContinuationProbe::choose(const Decision& d) {
  const FiberId preferred = d.current != kNoFiber ? d.current : d.runnable[0];  // DfsStrategy's default
  if (d.step < prefix_.size()) {
    const FiberId f = prefix_[d.step];
    const auto at = std::find(d.runnable, d.runnable + d.count, f);
    if (at == d.runnable + d.count) {  // cannot follow: the tree is not the one the prefix came from
      followed_ = false;
      return 0;
    }
    preemptions_ += d.current != kNoFiber && f != d.current;
    return static_cast<size_t>(at - d.runnable);
  }
  const bool costs = d.current != kNoFiber;  // leaving a runnable current fiber is a preemption
  if (d.count > 1 && (!costs || bound_ == kUnbounded || preemptions_ < bound_)) {
    points_.push_back({static_cast<uint32_t>(d.step), static_cast<uint32_t>(alternatives_.size()),
                       static_cast<uint32_t>(d.count - 1), costs});
    for (size_t i = 0; i < d.count; ++i)
      if (d.runnable[i] != preferred) alternatives_.push_back(d.runnable[i]);
  }
  return static_cast<size_t>(std::find(d.runnable, d.runnable + d.count, preferred) - d.runnable);
}

namespace {

// Predicted subtree sizes of one node: size(j, r) = the nodes below decision point j (points j.. of the
// continuation) with r preemptions left, counting the path that deviates no more:
//   size(m, r) = 1;  size(j, r) = size(j+1, r) + count_j * size(j+1, r - cost_j)  (second term if r >= cost_j).
// long double: free choices multiply without bound (2^1000 fits; its range is about 1e4932).
class predicted_sizes {
 public:
  void compute(const std::vector<ContinuationProbe::Point>& points, uint32_t budget) {
    m_ = points.size();
    width_ = budget + 1;
    size_.assign((m_ + 1) * width_, 1.0L);
    for (size_t j = m_; j-- > 0;) {
      const auto& p = points[j];
      for (uint32_t r = 0; r < width_; ++r) {
        long double v = at(j + 1, r);
        if (!p.costs) v += p.count * at(j + 1, r);
        else if (r >= 1) v += p.count * at(j + 1, r - 1);
        size_[j * width_ + r] = v;
      }
    }
  }
  long double at(size_t j, uint32_t r) const { return size_[j * width_ + r]; }

 private:
  size_t m_ = 0;
  uint32_t width_ = 1;
  std::vector<long double> size_;
};

// A uniform draw in [0, 1) from the project's generator (53 bits).
long double uniform(Prng& prng) { return static_cast<long double>(prng.next() >> 11) * 0x1.0p-53L; }

}  // namespace

TreeEstimate estimate_bounded_dfs(const std::function<void(Strategy&, Execution&)>& run, unsigned bound,
                                  const EstimateLimits& limits, uint64_t seed) {
  TreeEstimate out;
  Prng prng(seed);
  Execution ex;
  std::vector<FiberId> prefix;
  predicted_sizes sizes;
  long double sum = 0, sum_squares = 0;
  // Bounded by max_probes probes of at most max_levels executions each.
  while (out.probes < limits.max_probes && (out.probes < limits.min_probes || out.runs < limits.run_budget)) {
    if (limits.stop && limits.stop()) break;
    prefix.clear();
    long double weight = 1, nodes = 0;  // weight: 1 / P(this node)
    for (uint32_t level = 0;; ++level) {
      if (level == limits.max_levels) {
        out.truncated = true;
        break;
      }
      ContinuationProbe probe(bound, prefix);
      run(probe, ex);
      ++out.runs;
      if (!probe.followed()) {
        out.truncated = true;
        break;
      }
      nodes += weight;
      const auto& points = probe.points();
      if (points.empty()) break;
      // An unbounded search never runs out of preemptions: a budget of every costly point is the same.
      const uint32_t left = bound == ContinuationProbe::kUnbounded
                                ? static_cast<uint32_t>(points.size())
                                : static_cast<uint32_t>(bound - probe.preemptions());
      sizes.compute(points, left);
      const long double below = sizes.at(0, left) - 1;  // the children's predicted subtrees together
      // Draw point j with probability count_j * size(j+1, left - cost_j) / below, then one of its fibers.
      const long double target = uniform(prng) * below;
      long double seen = 0, subtree = 0;
      size_t j = 0, last = points.size();
      for (; j < points.size(); ++j) {  // bounded by the points
        if (points[j].costs && left == 0) continue;
        last = j;
        subtree = sizes.at(j + 1, points[j].costs ? left - 1 : left);
        seen += points[j].count * subtree;
        if (target < seen) break;
      }
      if (j == points.size()) j = last;  // rounding left the draw past the end: the last point with a child
      const auto& point = points[j];
      const uint32_t pick = static_cast<uint32_t>(prng.below(point.count));
      weight *= below / subtree;  // 1 / P(this child) = below / its predicted subtree
      prefix.assign(ex.decisions.begin(), ex.decisions.begin() + point.step);
      prefix.push_back(probe.alternatives()[point.first + pick]);
    }
    sum += nodes;
    sum_squares += nodes * nodes;
    ++out.probes;
  }
  if (out.probes == 0) return out;
  const long double n = static_cast<long double>(out.probes);
  const long double mean = sum / n;
  out.executions = static_cast<double>(mean);
  if (out.probes > 1 && mean > 0) {
    const long double variance = std::max(0.0L, (sum_squares - sum * sum / n) / (n - 1));
    out.relative_error = static_cast<double>(std::sqrt(variance / n) / mean);
  }
  return out;
}

}  // namespace fsrace::sched
