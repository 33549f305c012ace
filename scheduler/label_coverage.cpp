#include "scheduler/label_coverage.hpp"


namespace fsrace::sched {

std::string label_kind(const Label& l) {
  std::string out;
  bool str_used = l.str == nullptr;
  for (const char* p = l.text; *p != '\0'; ++p) {
    if (p[0] == '{' && p[1] == '{') {
      out += '{';
      ++p;
    } else if (p[0] == '}' && p[1] == '}') {
      out += '}';
      ++p;
    } else if (*p == '{') {
      while (*p != '\0' && *p != '}') ++p;
      if (!str_used) {
        out += l.str;
        str_used = true;
      } else {
        out += "…";
      }
      if (*p == '\0') break;
    } else {
      out += *p;
    }
  }
  return out;
}

uint32_t LabelCoverage::node_of(FiberId f, const Label& label, const Scheduler& scheduler) {
  const Key key{f, label.text, label.str};
  if (auto it = ids_.find(key); it != ids_.end()) return it->second;
  if (ids_.size() >= kMaxNodes) {
    overflow_ = true;
    return kMaxNodes;
  }
  const auto id = static_cast<uint32_t>(ids_.size());
  ids_.emplace(key, id);
  before_.emplace_back();
  pending_nodes_.emplace_back(scheduler.fiber_name(f), label_kind(label));
  return id;
}

uint32_t LabelCoverage::cached_node(FiberId f, const Label& label, const Scheduler& scheduler) {
  const Key key{f, label.text, label.str};
  CacheEntry& slot = cache_[KeyHash{}(key) % kCacheSize];
  if (slot.key == key) return slot.id;
  const uint32_t id = node_of(f, label, scheduler);
  slot = {key, id};
  return id;
}

void LabelCoverage::decided(const Decision& d, size_t chosen) {
  const Scheduler& s = *d.scheduler;
  const FiberId f = d.runnable[chosen];
  const uint32_t a = cached_node(f, s.pending_label(f), s);
  if (a == kMaxNodes) return;
  for (size_t k = 0; k < d.count; ++k) {
    if (k == chosen) continue;
    const uint32_t b = cached_node(d.runnable[k], s.pending_label(d.runnable[k]), s);
    if (b == kMaxNodes) continue;
    auto& row = before_[b];
    const size_t word = a / 64;
    const uint64_t bit = uint64_t{1} << (a % 64);
    if (row.size() <= word) row.resize(word + 1, 0);
    if (row[word] & bit) continue;
    row[word] |= bit;
    pending_pairs_.emplace_back(a, b);
  }
}

LabelCoverage::Delta LabelCoverage::take() {
  Delta d;
  d.first_new = taken_nodes_;
  d.new_nodes.swap(pending_nodes_);
  d.new_pairs.swap(pending_pairs_);
  d.overflow = overflow_;
  taken_nodes_ += static_cast<uint32_t>(d.new_nodes.size());
  return d;
}

}  // namespace fsrace::sched
