#include "reports/race_window.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace fsrace::reports {
namespace {

// Steps whose neighbourhood matters: each preemption and the step before it, the preempted thread's
// return, the violating step and the last step.
std::vector<uint64_t> points_of_interest(const std::vector<uint32_t>& thread_of, const std::vector<uint64_t>& preemptions,
                                         std::optional<uint64_t> violating) {
  const uint64_t n = thread_of.size();
  std::vector<uint64_t> points;
  for (uint64_t p : preemptions) {
    if (p >= n) continue;
    points.push_back(p);
    if (p == 0) continue;
    const uint32_t preempted = thread_of[p - 1];
    for (uint64_t r = p + 1; r < n; ++r)  // bounded by the trace
      if (thread_of[r] == preempted) {
        points.push_back(r);
        break;
      }
  }
  if (violating && *violating < n) points.push_back(*violating);
  if (n) points.push_back(n - 1);
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  return points;
}

std::vector<bool> kept_steps(uint64_t n, const std::vector<uint64_t>& points, size_t context) {
  std::vector<bool> kept(n, false);
  for (uint64_t q : points) {
    const uint64_t from = q > context ? q - context : 0, to = std::min<uint64_t>(n, q + context + 1);
    for (uint64_t i = from; i < to; ++i) kept[i] = true;
  }
  return kept;
}

}  // namespace

std::vector<window_part> race_window(const std::vector<uint32_t>& thread_of, const std::vector<uint64_t>& preemptions,
                                     std::optional<uint64_t> violating, const window_options& o) {
  const uint64_t n = thread_of.size();
  std::vector<uint64_t> points = points_of_interest(thread_of, preemptions, violating);
  size_t context = o.context;
  std::vector<bool> kept = kept_steps(n, points, context);
  auto shown = [&] { return static_cast<size_t>(std::count(kept.begin(), kept.end(), true)); };
  if (o.max_shown) {
    while (shown() > o.max_shown && context > 1) kept = kept_steps(n, points, --context);
    // Still too many: drop the points farthest from the end (the race ends where the finding is).
    while (shown() > o.max_shown && points.size() > 1) {
      points.erase(points.begin());
      kept = kept_steps(n, points, context);
    }
    if (shown() > o.max_shown)  // one point with its context: keep the steps nearest the end
      for (uint64_t i = 0, extra = shown() - o.max_shown; i < n && extra; ++i)
        if (kept[i]) kept[i] = false, --extra;
  }
  std::vector<window_part> parts;
  for (uint64_t i = 0; i < n;) {
    uint64_t j = i;
    while (j < n && kept[j] == kept[i]) ++j;
    window_part part{i, j, !kept[i], {}};
    if (part.folded) {
      std::map<uint32_t, uint64_t> count;
      for (uint64_t k = i; k < j; ++k) ++count[thread_of[k]];
      part.threads.assign(count.begin(), count.end());
      std::stable_sort(part.threads.begin(), part.threads.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    }
    parts.push_back(std::move(part));
    i = j;
  }
  return parts;
}

std::string count_names(const std::vector<std::string>& names) {
  std::vector<std::pair<std::string, size_t>> counted;  // small: a scenario has at most 64 threads
  for (const auto& n : names) {
    auto it = std::find_if(counted.begin(), counted.end(), [&](const auto& c) { return c.first == n; });
    if (it == counted.end()) counted.emplace_back(n, 1);
    else ++it->second;
  }
  std::string out;
  for (const auto& [name, n] : counted) out += (out.empty() ? "" : ", ") + (n == 1 ? name : fmt::format("{} x{}", name, n));
  return out;
}

std::string describe_fold(const window_part& part, const std::vector<std::string>& names) {
  std::string out;
  for (const auto& [thread, steps] : part.threads) {
    const std::string name = thread < names.size() ? names[thread] : fmt::format("thread {}", thread);
    out += out.empty() ? fmt::format("{} step{} of {}", steps, steps == 1 ? "" : "s", name) : fmt::format(", {} of {}", steps, name);
  }
  return out;
}

}  // namespace fsrace::reports
