#include "model/data/fiemap_holes.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "model/data/range_set.hpp"

namespace fsrace::model {
namespace {

range_set covered_by(const std::vector<fiemap_segment>& segments) {
  range_set out;
  for (const fiemap_segment& s : segments) out.add(s.start, s.end);
  return out;
}

// The segment of `truth` at pos, described, for the message.
std::string kind_at(const fiemap_truth& truth, uint64_t pos) {
  for (const fiemap_segment& s : truth.segments)
    if (s.start <= pos && pos < s.end) return describe(s);
  return "nothing";
}

}  // namespace

std::vector<std::string> fiemap_check_holes(const fiemap_truth& at_lock, const fiemap_truth& at_unlock,
                                            const fiemap_extent_info& fi, uint64_t range_start,
                                            uint64_t range_end) {
  std::vector<std::string> problems;
  if (fi.fi_extents_max == 0) return problems;
  const auto& ex = fi.extents;
  const bool cut_short = fi.fi_extents_mapped >= fi.fi_extents_max && !ex.empty();
  const uint64_t judged_end = cut_short ? std::min(range_end, ex.back().fe_logical + ex.back().fe_length) : range_end;
  if (judged_end <= range_start) return problems;
  // Mapped at both moments, minus what the answer reported.
  const range_set locked = covered_by(at_lock.segments), unlocked = covered_by(at_unlock.segments);
  range_set held;
  for (const auto& [start, end] : locked.ranges())
    for (auto r = unlocked.first_from(start); r && r->first < end; r = unlocked.first_from(r->second))
      held.add(std::max(start, r->first), std::min(end, r->second));
  for (const fiemap_extent& fe : ex) held.remove(fe.fe_logical, fe.fe_logical + fe.fe_length);
  held.remove(judged_end, ~0ull);
  held.remove(0, range_start);
  for (const auto& [start, end] : held.ranges()) {
    if (problems.size() == 8) break;
    problems.push_back(fmt::format(
        "file range {}+{}: fiemap reported a hole, the file had data there when the call took the inode lock "
        "({}) and when it let go of it ({})",
        start, end - start, kind_at(at_lock, start), kind_at(at_unlock, start)));
  }
  return problems;
}

}  // namespace fsrace::model
