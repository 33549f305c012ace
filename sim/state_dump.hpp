#pragma once
// `fsrace replay ... --until N`: the model's state before step N, as a btrfs developer reads it: the
// threads (runnable, blocked on what, finished), the transaction, block groups with their flags and
// counters, the trees' roots and commit roots, ordered extents, the locks held. It only reads the
// model's structs (never changes them) and takes no scheduling point.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/prepared.hpp"

namespace fsrace::model {
struct btrfs_fs_info;
}

namespace fsrace::sim {

/// The state of `fs` (may be null: a world without a filesystem) with the scheduler's threads, as text.
std::string describe_state(const model::btrfs_fs_info* fs, const sched::Scheduler& scheduler);

struct state_at_step {
  std::string text;         // describe_state's
  std::vector<bool> woken;  // by fiber: woken from a wait, its next step returns from it
};

/// Re-runs `decisions` and describes the state before step `step` (nullopt when the execution ended first).
std::optional<state_at_step> state_before_step(const prepared_scenario&, const fix_setting&,
                                             const std::vector<sched::FiberId>& decisions, uint64_t max_steps, uint64_t step);

}  // namespace fsrace::sim
