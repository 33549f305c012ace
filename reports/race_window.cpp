#include "reports/race_window.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace fsrace::reports {
namespace {

// Counts of a fold by thread, most steps first (ties: lower thread id first).
std::vector<std::pair<uint32_t, uint64_t>> sorted_counts(const std::map<uint32_t, uint64_t>& count) {
  std::vector<std::pair<uint32_t, uint64_t>> out(count.begin(), count.end());
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return out;
}

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
    // Room left (few preemptions, or none: a race the default order shows): the switches between threads
    // nearest the end, with their context, while they fit. Bounded by the room: each adds a step or stops.
    for (uint64_t i = n; i > 1 && shown() < o.max_shown; --i) {
      const uint64_t at = i - 1;
      if (thread_of[at] == thread_of[at - 1] || kept[at]) continue;
      std::vector<uint64_t> more = points;
      more.push_back(at);
      std::vector<bool> trial = kept_steps(n, more, context);
      if (static_cast<size_t>(std::count(trial.begin(), trial.end(), true)) > o.max_shown) break;
      for (uint64_t k = 0; k < n; ++k) trial[k] = trial[k] || kept[k];
      points = std::move(more);
      kept = std::move(trial);
    }
  }
  std::vector<window_part> parts;
  for (uint64_t i = 0; i < n;) {
    uint64_t j = i;
    while (j < n && kept[j] == kept[i]) ++j;
    window_part part{i, j, !kept[i], {}};
    if (part.folded) {
      std::map<uint32_t, uint64_t> count;
      for (uint64_t k = i; k < j; ++k) ++count[thread_of[k]];
      part.threads = sorted_counts(count);
    }
    parts.push_back(std::move(part));
    i = j;
  }
  return parts;
}

std::vector<bool> race_lanes(const std::vector<uint32_t>& thread_of, const std::vector<window_part>& parts,
                             const std::vector<uint64_t>& preemptions, std::optional<uint64_t> violating, size_t max_lanes) {
  const uint64_t n = thread_of.size();
  uint32_t threads = 0;
  for (uint32_t t : thread_of) threads = std::max(threads, t + 1);
  std::vector<bool> shown(threads, false);
  for (const auto& part : parts)
    if (!part.folded)
      for (uint64_t i = part.first; i < part.end && i < n; ++i) shown[thread_of[i]] = true;
  if (static_cast<size_t>(std::count(shown.begin(), shown.end(), true)) <= max_lanes) return shown;
  // Too many: the threads of the race first, then whole groups while they fit.
  std::vector<bool> lane(threads, false), preempting(threads, false);
  auto add = [&](uint32_t t) { lane[t] = shown[t]; };
  if (violating && *violating < n) add(thread_of[*violating]);
  for (uint64_t p : preemptions)
    if (p > 0 && p < n) add(thread_of[p - 1]), preempting[thread_of[p]] = shown[thread_of[p]];
  auto lanes = [&] { return static_cast<size_t>(std::count(lane.begin(), lane.end(), true)); };
  if (lanes() == 0) {  // nothing marks the race: the lowest thread ids shown (the scenario's threads come
    for (uint32_t t = 0; t < threads && lanes() < max_lanes; ++t) lane[t] = shown[t];  // before kernel workers)
    return lane;
  }
  auto add_group = [&](const std::vector<bool>& group) {
    size_t more = 0;
    for (uint32_t t = 0; t < threads; ++t) more += group[t] && !lane[t];
    if (lanes() + more > max_lanes) return;
    for (uint32_t t = 0; t < threads; ++t) lane[t] = lane[t] || group[t];
  };
  add_group(preempting);
  add_group(shown);
  return lane;
}

std::vector<window_part> fold_other_threads(const std::vector<uint32_t>& thread_of, const std::vector<window_part>& parts,
                                            const std::vector<bool>& lane) {
  std::vector<window_part> out;
  std::map<uint32_t, uint64_t> pending;  // counts of the fold being built
  uint64_t fold_first = 0;
  bool folding = false;
  auto flush = [&](uint64_t end) {
    if (!folding) return;
    out.push_back({fold_first, end, true, sorted_counts(pending)});
    pending.clear();
    folding = false;
  };
  auto fold_step = [&](uint64_t i, uint64_t steps, uint32_t thread) {
    if (!folding) fold_first = i, folding = true;
    pending[thread] += steps;
  };
  for (const auto& part : parts) {
    if (part.folded) {
      for (const auto& [thread, steps] : part.threads) fold_step(part.first, steps, thread);
      continue;
    }
    for (uint64_t i = part.first; i < part.end;) {
      const bool drawn = thread_of[i] < lane.size() && lane[thread_of[i]];
      uint64_t j = i;
      while (j < part.end && (thread_of[j] < lane.size() && lane[thread_of[j]]) == drawn) ++j;
      if (drawn) {
        flush(i);
        out.push_back({i, j, false, {}});
      } else {
        for (uint64_t k = i; k < j; ++k) fold_step(i, 1, thread_of[k]);
      }
      i = j;
    }
  }
  flush(parts.empty() ? 0 : parts.back().end);
  return out;
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
  struct named { std::string name; uint64_t steps = 0; size_t threads = 0; };
  std::vector<named> by_name;  // in order of part.threads (most steps first); small: at most 64 threads
  for (const auto& [thread, steps] : part.threads) {
    const std::string name = thread < names.size() ? names[thread] : fmt::format("thread {}", thread);
    auto it = std::find_if(by_name.begin(), by_name.end(), [&](const named& x) { return x.name == name; });
    if (it == by_name.end()) by_name.push_back({name, steps, 1});
    else it->steps += steps, ++it->threads;
  }
  std::stable_sort(by_name.begin(), by_name.end(), [](const named& a, const named& b) { return a.steps > b.steps; });
  std::string out;
  for (const auto& x : by_name) {
    const std::string who = x.threads == 1 ? x.name : fmt::format("{} x{}", x.name, x.threads);
    out += out.empty() ? fmt::format("{} step{} of {}", x.steps, x.steps == 1 ? "" : "s", who) : fmt::format(", {} of {}", x.steps, who);
  }
  return out;
}

}  // namespace fsrace::reports
