// Helpers for the scrub, device replace and cleaner tests: files written through the data paths,
// on-disk locations of their data, corruption, and running model threads under a strategy.
#pragma once
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "model/data/data_check.hpp"
#include "model/data/data_pattern.hpp"
#include "model/data/file.hpp"
#include "model/data/inode.hpp"
#include "model/data/read.hpp"
#include "model/fs_info.hpp"
#include "model/fsck.hpp"
#include "model/maint/scrub.hpp"
#include "model/mkfs.hpp"
#include "scheduler/scheduler.hpp"
#include "scheduler/strategy.hpp"
#include "tests/model/model_fixture.hpp"

namespace fsrace::test {

constexpr uint64_t kFsRoot = model::BTRFS_FS_TREE_OBJECTID;

// Creates `name` if needed and writes `len` bytes of pattern `seed` at `pos` (buffered). In a fiber.
inline model::btrfs_inode& write_file(model::btrfs_fs_info& fs, const std::string& name, uint64_t pos, uint64_t len,
                                      uint64_t seed) {
  uint64_t ino = model::btrfs_lookup_name(fs, kFsRoot, name);
  if (!ino) REQUIRE(model::btrfs_create(fs, kFsRoot, name, false, &ino, "create " + name) == 0);
  model::btrfs_inode* inode = model::btrfs_iget(fs, kFsRoot, ino);
  REQUIRE(inode);
  std::vector<uint8_t> data(len);
  model::fill_pattern(seed, pos, data);
  REQUIRE(model::btrfs_buffered_write(fs, *inode, pos, data, "write " + name) == 0);
  return *inode;
}

// Two devices of `device_bytes` each, `data_profile` data and dup metadata and system, every fix on (make_fs
// leaves 22ab04e814f4 off, without which a chunk allocated during a replace never reaches the target), and
// 16 KiB of file "a" committed: the start of the device replace tests.
inline std::unique_ptr<model::btrfs_fs_info> two_device_fs_with_file(uint64_t device_bytes,
                                                                     const std::string& data_profile) {
  model::mkfs_options o;
  o.device_sizes = {device_bytes, device_bytes};
  o.data_profile = data_profile;
  o.metadata_profile = o.system_profile = "dup";
  auto fs = make_fs(o);
  fs->fixes = model::fix_set::all_on();
  run_in_fiber([&] {
    write_file(*fs, "a", 0, 16 * 1024, 1);
    REQUIRE(model::btrfs_sync_fs(*fs) == 0);
  });
  return fs;
}

// The disk (logical) address of file offset `pos` of `name`, from its file extent items.
inline uint64_t file_logical(model::btrfs_fs_info& fs, const std::string& name, uint64_t pos) {
  const uint64_t ino = model::btrfs_lookup_name(fs, kFsRoot, name);
  REQUIRE(ino);
  const model::btrfs_inode* inode = model::btrfs_iget_const(fs, kFsRoot, ino);
  REQUIRE(inode);
  model::data_mapping m = model::btrfs_get_extent(fs, *inode, pos);
  REQUIRE(m.kind == model::data_mapping::regular);
  return m.block_start + (pos - m.start);
}

// Where mirror `mirror` (1-based) of `logical` lives.
inline model::btrfs_bio_stripe mirror_of(model::btrfs_fs_info& fs, uint64_t logical, int mirror) {
  auto map = model::btrfs_get_chunk_map(fs, logical);
  REQUIRE(map);
  REQUIRE(mirror <= model::map_num_copies(*map));
  const model::stripe_piece p = model::map_stripe_piece(*map, logical - map->start, mirror);
  return {fs.dev(map->stripes[p.index].dev).devid, p.physical};
}

inline std::vector<uint8_t> read_dev(model::btrfs_fs_info& fs, const model::btrfs_bio_stripe& at, uint64_t len) {
  std::vector<uint8_t> out(len);
  fs.device(at.devid)->bdev.read(at.physical, out);
  return out;
}

inline void corrupt_sector(model::btrfs_fs_info& fs, const model::btrfs_bio_stripe& at) {
  std::vector<uint8_t> junk(model::SECTORSIZE, 0xA5);
  fs.device(at.devid)->bdev.write(at.physical, junk);
}

// One scrub of a device in its own execution (no other thread).
inline int scrub_device(model::btrfs_fs_info& fs, uint64_t devid, bool readonly, model::btrfs_scrub_progress& p) {
  int ret = 1;
  run_in_fiber([&] { ret = model::btrfs_scrub_dev(fs, devid, 0, ~0ull, &p, readonly, false); });
  return ret;
}

// Every check an execution's end state must pass: the data oracle, then fsck. The oracle comes first
// because lost data is what user space sees; the fsck of the committed state names the same damage as
// a mirror whose data no longer matches its checksum.
inline std::vector<std::string> end_state_problems(const model::btrfs_fs_info& fs) {
  auto problems = model::btrfs_check_data_against_oracle(fs);
  for (auto& p : model::btrfs_check(fs)) problems.push_back(p);
  return problems;
}

}  // namespace fsrace::test

namespace fsrace::test {

// A scenario thread: one model operation returning 0 or a negative errno, like a system call.
struct op_thread {
  std::string name;
  std::function<int(model::btrfs_fs_info&)> op;
};
// The problems of one finished execution (empty: clean), given each thread's return value and the
// execution (its trace names what every fiber did, in order).
using race_checker = std::function<std::vector<std::string>(const model::btrfs_fs_info&, const std::vector<int>&,
                                                            const sched::Execution&)>;

// Index of the first step of `fiber` (any fiber if empty) whose label starts with `prefix`, or npos.
inline size_t find_step(const sched::Execution& e, const std::string& fiber, const std::string& prefix) {
  for (size_t i = 0; i < e.trace.size(); ++i) {
    if (!fiber.empty() && e.fiber_names.at(e.trace[i].fiber) != fiber) continue;
    if (sched::format_label(e.trace[i].label).rfind(prefix, 0) == 0) return i;
  }
  return std::string::npos;
}

struct exploration {
  uint64_t executions = 0;
  bool found = false;        // some execution had a problem
  uint64_t found_at = 0;     // its index
  std::string problem;       // the first problem of the first bad execution
  bool exhausted = false;    // DFS: every schedule within the bound was run
  uint64_t max_steps = 0;    // longest execution seen
};

// Runs one execution; returns its problems (a scheduler finding counts as one).
inline std::vector<std::string> run_once(sched::Scheduler& s, sched::Strategy& strategy, uint64_t seed,
                                         const model::btrfs_fs_info& prepared, const model::fix_set& fixes,
                                         const std::vector<op_thread>& threads, const race_checker& check,
                                         uint64_t* steps) {
  model::btrfs_fs_info fs = prepared;
  fs.fixes = fixes;
  std::vector<int> rets(threads.size(), 1);
  for (size_t i = 0; i < threads.size(); ++i)
    s.spawn(threads[i].name, [&fs, &rets, &threads, i] { rets[i] = threads[i].op(fs); });
  const sched::Execution e = s.run(strategy, seed);
  *steps = e.steps;
  if (e.finding.kind != sched::FindingKind::None)
    return {fmt::format("{}: {}", sched::to_string(e.finding.kind), e.finding.message)};
  for (size_t i = 0; i < threads.size(); ++i)
    if (rets[i] == 1) return {fmt::format("thread {} did not finish", threads[i].name)};
  return check(fs, rets, e);
}

inline void note(exploration& x, const std::vector<std::string>& problems, uint64_t steps) {
  x.max_steps = std::max(x.max_steps, steps);
  if (!problems.empty() && !x.found) {
    x.found = true;
    x.found_at = x.executions;
    x.problem = problems.front();
  }
  x.executions++;
}

// PCT with `depth`, `runs` executions seeded from `base_seed`; stops at the first problem if asked.
inline exploration explore_pct(const model::btrfs_fs_info& prepared, const model::fix_set& fixes,
                               const std::vector<op_thread>& threads, const race_checker& check, unsigned depth,
                               uint64_t runs, uint64_t base_seed, bool stop_at_first) {
  sched::Scheduler s;
  sched::PctStrategy pct(depth);
  exploration x;
  for (uint64_t i = 0; i < runs && !(stop_at_first && x.found); ++i) {
    uint64_t steps = 0;
    auto problems = run_once(s, pct, sched::execution_seed(base_seed, i), prepared, fixes, threads, check, &steps);
    note(x, problems, steps);
  }
  return x;
}

// DFS with a preemption bound, at most `max_executions`.
inline exploration explore_dfs(const model::btrfs_fs_info& prepared, const model::fix_set& fixes,
                               const std::vector<op_thread>& threads, const race_checker& check, unsigned bound,
                               uint64_t max_executions, bool stop_at_first) {
  sched::Scheduler s;
  sched::DfsStrategy dfs(bound);
  exploration x;
  for (;;) {
    uint64_t steps = 0;
    auto problems = run_once(s, dfs, 0, prepared, fixes, threads, check, &steps);
    note(x, problems, steps);
    if (stop_at_first && x.found) break;
    if (!dfs.next()) {
      x.exhausted = true;
      break;
    }
    if (x.executions >= max_executions) break;
  }
  return x;
}

}  // namespace fsrace::test
