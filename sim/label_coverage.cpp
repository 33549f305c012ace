#include "sim/label_coverage.hpp"

#include <algorithm>

#include "sim/diagnostics.hpp"

namespace fsrace::sim {

uint32_t label_coverage_merge::global_id(const node& n) {
  auto [it, fresh] = ids_.emplace(n, static_cast<uint32_t>(nodes_.size()));
  if (fresh) nodes_.push_back(n);
  return it->second;
}

void label_coverage_merge::absorb(unsigned worker, const sched::LabelCoverage::Delta& d) {
  if (translation_.size() <= worker) translation_.resize(worker + 1);
  auto& map = translation_[worker];
  if (d.first_new == 0) map.clear();  // a collector that had no node before: a fresh one (explore.cpp)
  if (!d.new_nodes.empty() && d.first_new != map.size()) throw tool_error("label coverage: a worker's nodes arrived out of order");
  for (const auto& n : d.new_nodes) map.push_back(global_id(n));
  for (const auto& [a, b] : d.new_pairs) {
    if (a >= map.size() || b >= map.size()) throw tool_error("label coverage: a pair names an unknown node");
    const uint32_t ga = map[a], gb = map[b];
    if (nodes_[ga].first != nodes_[gb].first) ordered_.emplace(ga, gb);  // fibers of one name are one thread
  }
  overflow_ = overflow_ || d.overflow;
}

reports::label_coverage_result label_coverage_merge::result(size_t listed) const {
  reports::label_coverage_result r;
  r.present = true;
  r.truncated = overflow_;
  std::map<std::string, std::vector<std::string>> by_thread;  // ordered by name: deterministic
  for (const auto& [n, id] : ids_) by_thread[n.first].push_back(n.second);
  for (auto& [thread, kinds] : by_thread) r.threads.emplace_back(thread, std::move(kinds));
  for (const auto& [a, b] : ordered_)
    r.ordered.emplace_back(nodes_[a].first + ": " + nodes_[a].second, nodes_[b].first + ": " + nodes_[b].second);
  std::sort(r.ordered.begin(), r.ordered.end());
  reports::summarize_pairs(r, listed);
  return r;
}

}  // namespace fsrace::sim
