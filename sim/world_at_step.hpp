#pragma once
// The world as one execution left it, or as it stood after its step N: for `fsrace export --seed ...
// [--until N]` and the btrfs check sample. Re-runs the execution's decisions and copies the world (a
// copy-on-write clone of the model) at that point; nothing of this runs while exploring.
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "sim/prepared.hpp"

namespace fsrace::sim {

struct world_snapshot {
  std::unique_ptr<world> state;  // null when the execution ended before the step
  sched::Execution ex;           // the re-run, with its trace and finding
};

/// Re-runs `decisions` under `fixes`. `after_step` set: the world after that step ran (before the next
/// one; the last step's is the end state). Unset: the end state, after every thread ended (or the
/// execution stopped at a finding), before the end-of-run invariants.
world_snapshot world_after_step(const prepared_scenario&, const fix_setting& fixes, const std::vector<sched::FiberId>& decisions,
                                uint64_t max_steps, std::optional<uint64_t> after_step);

}  // namespace fsrace::sim
