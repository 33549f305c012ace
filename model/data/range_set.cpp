#include "model/data/range_set.hpp"

#include <algorithm>

namespace fsrace::model {

void range_set::add(uint64_t start, uint64_t end) {
  if (start >= end) return;
  auto it = ranges_.upper_bound(start);
  if (it != ranges_.begin()) {
    auto prev = std::prev(it);
    if (prev->second >= start) it = prev;
  }
  while (it != ranges_.end() && it->first <= end) {
    start = std::min(start, it->first);
    end = std::max(end, it->second);
    it = ranges_.erase(it);
  }
  ranges_.emplace(start, end);
}

void range_set::remove(uint64_t start, uint64_t end) {
  if (start >= end) return;
  auto it = ranges_.upper_bound(start);
  if (it != ranges_.begin()) {
    auto prev = std::prev(it);
    if (prev->second > start) it = prev;
  }
  while (it != ranges_.end() && it->first < end) {
    const uint64_t s = it->first, e = it->second;
    it = ranges_.erase(it);
    if (s < start) ranges_.emplace(s, start);
    if (e > end) {
      ranges_.emplace(end, e);
      break;
    }
  }
}

bool range_set::intersects(uint64_t start, uint64_t end) const {
  if (start >= end) return false;
  auto it = ranges_.upper_bound(start);
  if (it != ranges_.begin() && std::prev(it)->second > start) return true;
  return it != ranges_.end() && it->first < end;
}

bool range_set::covers(uint64_t start, uint64_t end) const {
  if (start >= end) return true;
  auto it = ranges_.upper_bound(start);
  if (it == ranges_.begin()) return false;
  --it;
  return it->first <= start && it->second >= end;
}

std::optional<std::pair<uint64_t, uint64_t>> range_set::first_from(uint64_t pos) const {
  auto it = ranges_.upper_bound(pos);
  if (it != ranges_.begin() && std::prev(it)->second > pos) return *std::prev(it);
  if (it == ranges_.end()) return std::nullopt;
  return *it;
}

uint64_t range_set::bytes_in(uint64_t start, uint64_t end) const {
  uint64_t n = 0;
  for (auto r = first_from(start); r && r->first < end; r = first_from(r->second))
    n += std::min(end, r->second) - std::max(start, r->first);
  return n;
}

uint64_t range_set::total_bytes() const {
  uint64_t n = 0;
  for (auto& [s, e] : ranges_) n += e - s;
  return n;
}

}  // namespace fsrace::model
