#pragma once
// btrfs check as an outside judge (README: the invariants table, "btrfs_check_image"): the model's
// committed state exported as image files (model/ondisk/) and checked by btrfs-progs' `btrfs check
// --readonly --check-data-csum`. Runs only when asked (a test, `fsrace explore --btrfs-check-sample K`),
// never on the exploration's hot path: one check costs an export and a process (tens of milliseconds).
//
// The images go to a private temporary directory, removed afterwards. A filesystem of several devices is
// attached as loop devices (`losetup --find --show --read-only`, root; btrfs check finds a filesystem's
// other devices only among block devices), always detached again, also when the check fails or throws.
// Each check writes its images under a filesystem identity of its own (another fsid), so checks running
// at the same time (ctest -j2) never see each other's devices as theirs.
#include <cstdint>
#include <string>
#include <vector>

#include "model/fs_info.hpp"
#include "sim/prepared.hpp"

namespace fsrace::sim {

struct btrfs_check_result {
  enum class verdict { passed, failed, not_available, not_exportable };
  verdict result = verdict::not_available;
  std::string detail;  // failed: btrfs check's output (bounded); the others: why
};
const char* to_string(btrfs_check_result::verdict);

/// Exports the committed state of `fs` and runs btrfs check on it. Throws std::logic_error for a model
/// state the export does not understand (a tool error), std::runtime_error when the temporary files or
/// loop devices cannot be made or removed.
btrfs_check_result btrfs_check_image(const model::btrfs_fs_info& fs);

/// The sample `fsrace explore --btrfs-check-sample K` checks: executions first, first + 1, ... of an
/// exploration with `settings` under `fixes` are re-run (random, pct: seed execution_seed(base, i); dfs,
/// dpor: index i) until `count` of them ended clean or `limit` were run; the end state of each clean one
/// (after every thread ended, the committed state) is checked.
struct btrfs_check_sample_result {
  uint64_t executions = 0;  // re-run
  uint64_t checked = 0;     // clean ones checked (passed or failed)
  uint64_t passed = 0;
  uint64_t not_exportable = 0;  // clean ones whose state the export cannot write yet
  struct failure {
    uint64_t index = 0, key = 0;  // the execution's index in the run and its replay key (--seed)
    btrfs_check_result check;
  };
  std::vector<failure> failures;
  std::string not_available;  // set: btrfs check cannot run here (why); nothing was checked
};
btrfs_check_sample_result btrfs_check_sample(const prepared_scenario&, const explore_settings& settings, const fix_setting& fixes,
                                             uint64_t first, uint64_t count, uint64_t limit);

}  // namespace fsrace::sim
