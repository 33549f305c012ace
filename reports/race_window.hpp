#pragma once
// The race window: which steps of an execution a person needs to see. Around every preemption (the
// preempted thread's last steps, the preempting thread's first ones, the preempted thread's return) and
// the violating step, a few steps of context are kept (then, while there is room, around the switches
// between threads nearest the end); every other stretch is folded into one line that
// counts its steps by thread ("... 312 steps of balance, 4 of writer"). Used by the text diagram and the
// HTML page, so both show the same window.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fsrace::reports {

struct window_options {
  size_t context = 4;    // steps kept on each side of a point of interest
  size_t max_shown = 0;  // at most this many steps shown (0 = no limit); the context shrinks first, then
                         // the points farthest from the end are dropped
};

/// One row of the window: a stretch of shown steps [first, end), or a fold of hidden ones.
struct window_part {
  uint64_t first = 0, end = 0;
  bool folded = false;
  std::vector<std::pair<uint32_t, uint64_t>> threads;  // folded: (thread, steps), most steps first
};

/// `thread_of[i]`: the thread of step i. `preemptions`: steps that switched away from a thread that could
/// go on. Without preemptions or a violating step the last steps are kept (the end is where it shows).
std::vector<window_part> race_window(const std::vector<uint32_t>& thread_of, const std::vector<uint64_t>& preemptions,
                                     std::optional<uint64_t> violating, const window_options& = {});

/// The threads that get a lane (a column of the diagram, a lane of the page), by thread id. Every thread
/// with a step shown when at most `max_lanes` have one; else the threads that took part in the race: the
/// one whose step raised the finding and every thread a preemption switched away from, then the
/// preempting threads and then the others, each group only when all of it still fits in `max_lanes`.
/// (Without a finding's step or a preemption, the lowest thread ids shown, up to `max_lanes`: the scenario's
/// threads before the kernel workers the model starts.)
std::vector<bool> race_lanes(const std::vector<uint32_t>& thread_of, const std::vector<window_part>& parts,
                             const std::vector<uint64_t>& preemptions, std::optional<uint64_t> violating, size_t max_lanes);

/// `parts` with the shown steps of threads without a lane folded (a run of them becomes a fold, merged
/// with the folds next to it), so that only lanes' steps are drawn.
std::vector<window_part> fold_other_threads(const std::vector<uint32_t>& thread_of, const std::vector<window_part>& parts,
                                            const std::vector<bool>& lane);

/// "endio x5, btrfs-endio-write x5, send": names in order of first appearance, repeats counted (a
/// scenario's "count" gives several threads one name).
std::string count_names(const std::vector<std::string>& names);

/// "312 steps of balance, 160 of btrfs-endio-write x4, 4 of writer" for a fold: threads sharing a name
/// (a scenario's "count", kernel workers) are counted together, most steps first.
std::string describe_fold(const window_part&, const std::vector<std::string>& thread_names);

}  // namespace fsrace::reports
