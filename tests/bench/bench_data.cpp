// Data-path benchmark: executions per second of a two-fiber workload (a buffered writer with
// writeback and a direct IO writer) on a prepared 1 GiB two-device filesystem, each execution
// including the clone of the prepared state, the end-of-run fsck and the data oracle check.
// Prints figures; run on demand: build/bench_data [--runs N]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "model/data/data_check.hpp"
#include "model/data/data_pattern.hpp"
#include "model/data/file.hpp"
#include "model/data/inode.hpp"
#include "model/data/writeback.hpp"
#include "model/fsck.hpp"
#include "model/fs_info.hpp"
#include "model/mkfs.hpp"
#include "scheduler/scheduler.hpp"
#include "scheduler/strategy.hpp"
#include "tests/bench/bench_fiber.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::bench_support;

namespace {

std::vector<uint8_t> pattern(uint64_t seed, uint64_t off, uint64_t len) {
  std::vector<uint8_t> v(len);
  fill_pattern(seed, off, v);
  return v;
}

btrfs_inode& open(btrfs_fs_info& fs, const char* name) {
  btrfs_inode& inode = *btrfs_iget(fs, BTRFS_FS_TREE_OBJECTID, btrfs_lookup_name(fs, BTRFS_FS_TREE_OBJECTID, name));
  btrfs_igrab(inode);
  return inode;
}

}  // namespace

int main(int argc, char** argv) {
  long runs = 2000;
  for (int i = 1; i + 1 < argc; ++i)
    if (!std::strcmp(argv[i], "--runs")) runs = std::atol(argv[i + 1]);

  // Set-up: two files with 256 KiB of committed data each (one COW, one nodatacow).
  std::unique_ptr<btrfs_fs_info> fs;
  in_fiber([&] {
    mkfs_options o;
    o.device_sizes = {1ull << 30, 1ull << 30};
    o.data_profile = "raid1";
    o.metadata_profile = "raid1";
    fs = btrfs_mkfs(o);
    for (const char* name : {"buffered", "direct"}) {
      btrfs_create(*fs, BTRFS_FS_TREE_OBJECTID, name, name[0] == 'd', nullptr, "setup");
      btrfs_inode& inode = open(*fs, name);
      btrfs_buffered_write(*fs, inode, 0, pattern(1, 0, 256 << 10), "setup");
      btrfs_iput(*fs, inode);
    }
    btrfs_sync_fs(*fs);
  });
  freeze(*fs);
  std::printf("prepared filesystem: 2 x 1 GiB devices (raid1 data and metadata), two 256 KiB files\n");

  sched::Scheduler sch;
  sched::RandomStrategy strategy;
  uint64_t steps = 0, problems = 0, findings = 0;
  double t_clone = 0, t_run = 0, t_fsck = 0, t_oracle = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < runs; ++i) {
    auto c0 = std::chrono::steady_clock::now();
    btrfs_fs_info copy(*fs);
    t_clone += seconds_since(c0);
    sch.spawn("writer", [&copy] {
      btrfs_inode& inode = open(copy, "buffered");
      btrfs_buffered_write(copy, inode, 16 << 10, pattern(2, 16 << 10, 64 << 10), "write");
      btrfs_fdatawrite_range(copy, inode, 0, ~0ull);
      btrfs_iput(copy, inode);
    });
    sch.spawn("dio", [&copy] {
      btrfs_inode& inode = open(copy, "direct");
      btrfs_direct_write(copy, inode, 32 << 10, pattern(3, 32 << 10, 32 << 10), "dio nocow");
      btrfs_direct_write(copy, inode, 256 << 10, pattern(3, 256 << 10, 32 << 10), "dio append");
      btrfs_iput(copy, inode);
    });
    auto r0 = std::chrono::steady_clock::now();
    sched::Execution e = sch.run(strategy, uint64_t(i));
    t_run += seconds_since(r0);
    steps += e.steps;
    findings += e.finding.kind != sched::FindingKind::None;
    auto k0 = std::chrono::steady_clock::now();
    problems += btrfs_check(copy).size();
    t_fsck += seconds_since(k0);
    k0 = std::chrono::steady_clock::now();
    problems += btrfs_check_data_against_oracle(copy).size();
    t_oracle += seconds_since(k0);
  }
  const double total = seconds_since(t0);
  std::printf("%ld executions: %.0f executions/s (%.1f us each: clone %.1f, run %.1f, fsck %.1f, oracle check %.1f)\n",
              runs, runs / total, total / runs * 1e6, t_clone / runs * 1e6, t_run / runs * 1e6, t_fsck / runs * 1e6,
              t_oracle / runs * 1e6);
  std::printf("%.1f steps per execution; %lu findings, %lu check problems (both must be 0)\n", double(steps) / runs,
              (unsigned long)findings, (unsigned long)problems);
  return findings || problems ? 1 : 0;
}
