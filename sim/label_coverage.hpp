#pragma once
// The label coverage of one exploration (scheduler/label_coverage.hpp), merged from its workers by
// name in plan order: which label kinds each thread reached, and which pairs of them (of different
// threads, both enabled at a decision) ran in both orders. Only plans the accounting reached are merged, so the result is the same
// for any --jobs (the last plan accounted counts whole, also past the execution that ended the run).
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "reports/results.hpp"
#include "scheduler/label_coverage.hpp"

namespace fsrace::sim {

class label_coverage_merge {
 public:
  /// Adds what worker `worker` collected in one plan: its collector's deltas in the order it made them,
  /// or a fresh collector's (first_new 0: the worker's node ids start again).
  void absorb(unsigned worker, const sched::LabelCoverage::Delta&);
  /// The summary the reports show; at most `listed` never-reordered pairs are named.
  reports::label_coverage_result result(size_t listed = 100) const;

 private:
  using node = std::pair<std::string, std::string>;  // (thread, label kind)
  uint32_t global_id(const node&);
  std::map<node, uint32_t> ids_;
  std::vector<node> nodes_;
  std::vector<std::vector<uint32_t>> translation_;  // by worker: its node id -> global id
  std::set<std::pair<uint32_t, uint32_t>> ordered_;  // (a, b): a ran before b while both were enabled
  bool overflow_ = false;
};

}  // namespace fsrace::sim
