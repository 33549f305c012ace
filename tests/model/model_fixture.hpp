// Helpers for model tests: run model code inside a scheduler fiber, make a small filesystem.
#pragma once
#include <catch2/catch.hpp>

#include <functional>
#include <memory>

#include "model/fs_info.hpp"
#include "model/mkfs.hpp"
#include "scheduler/scheduler.hpp"
#include "scheduler/strategy.hpp"

namespace fsrace::test {

// Runs `body` as the only fiber of one execution; the execution must end clean.
inline void run_in_fiber(const std::function<void()>& body) {
  sched::Scheduler s;
  s.spawn("test", body);
  sched::RandomStrategy r;
  sched::Execution e = s.run(r, 1);
  INFO("finding: " << sched::to_string(e.finding.kind) << ": " << e.finding.message);
  REQUIRE(e.finding.kind == sched::FindingKind::None);
}

inline std::unique_ptr<model::btrfs_fs_info> make_fs(model::mkfs_options opts = {}) {
  if (opts.device_sizes.empty()) opts.device_sizes = {1ull << 30, 1ull << 30};
  std::unique_ptr<model::btrfs_fs_info> fs;
  run_in_fiber([&] { fs = model::btrfs_mkfs(opts); });
  return fs;
}

}  // namespace fsrace::test
