// Model benchmark: what a per-execution clone of a prepared filesystem costs, and fsck's cost.
// Prints figures; run on demand: build/bench_model [--clones N]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "model/fsck.hpp"
#include "model/fs_info.hpp"
#include "model/mkfs.hpp"
#include "scheduler/scheduler.hpp"
#include "scheduler/strategy.hpp"
#include "tests/bench/bench_fiber.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::bench_support;

int main(int argc, char** argv) {
  long clones = 200000;
  for (int i = 1; i + 1 < argc; ++i)
    if (!std::strcmp(argv[i], "--clones")) clones = std::atol(argv[i + 1]);

  // A 1 GiB two-device filesystem with some metadata in it (several thousand items, a few levels).
  std::unique_ptr<btrfs_fs_info> fs;
  in_fiber([&] {
    mkfs_options o;
    o.device_sizes = {1ull << 30, 1ull << 30};
    o.data_profile = "raid1";
    o.metadata_profile = "raid1";
    fs = btrfs_mkfs(o);
    auto trans = btrfs_start_transaction(*fs);
    btrfs_root& root = *fs->roots.at(BTRFS_FS_TREE_OBJECTID);
    for (uint64_t i = 0; i < 5000; ++i) btrfs_insert_item(trans, root, {1000 + i, BTRFS_INODE_ITEM_KEY, 0}, btrfs_inode_item{});
    btrfs_end_transaction(trans);
    btrfs_commit_current(*fs);
  });
  freeze(*fs);
  std::printf("prepared filesystem: 2 x 1 GiB devices, %zu block groups, fs tree level %d\n",
              fs->block_group_cache_tree.size(), int(fs->roots.at(BTRFS_FS_TREE_OBJECTID)->level));

  auto t0 = std::chrono::steady_clock::now();
  uint64_t sink = 0;
  for (long i = 0; i < clones; ++i) {
    btrfs_fs_info copy = *fs;
    sink += copy.generation;
  }
  double s = seconds_since(t0);
  std::printf("clone (copy + destroy): %.0f ns per clone, %.0f clones/s (%ld clones)\n", s / clones * 1e9, clones / s,
              clones);

  const long checks = 200;
  t0 = std::chrono::steady_clock::now();
  size_t problems = 0;
  for (long i = 0; i < checks; ++i) problems += btrfs_check(*fs).size();
  s = seconds_since(t0);
  std::printf("fsck of the prepared filesystem: %.1f us per check (%zu problems)\n", s / checks * 1e6, problems);

  const long runs = 2000;
  t0 = std::chrono::steady_clock::now();
  sched::Scheduler sch;
  sched::RandomStrategy r;
  for (long i = 0; i < runs; ++i) {
    btrfs_fs_info copy = *fs;
    sch.spawn("writer", [&copy, i] {
      auto trans = btrfs_start_transaction(copy);
      btrfs_insert_item(trans, *copy.roots.at(BTRFS_FS_TREE_OBJECTID), {100000 + uint64_t(i), BTRFS_INODE_ITEM_KEY, 0},
                        btrfs_inode_item{});
      btrfs_end_transaction(trans);
      btrfs_commit_current(copy);
    });
    sched::Execution e = sch.run(r, uint64_t(i));
    sink += e.steps;
  }
  s = seconds_since(t0);
  std::printf("clone + insert + commit in a fiber: %.1f us per execution, %.0f executions/s\n", s / runs * 1e6,
              runs / s);
  return sink == 42 ? 1 : 0;
}
