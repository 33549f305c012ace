// Shared set-up of the extent buffer tests: a small filesystem made by mkfs (frozen), one cold tree
// block to work on, and helpers that run fibers on a fresh copy of it.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "model/extent_io/extent_io.hpp"
#include "model/fs_info.hpp"
#include "model/mkfs.hpp"
#include "scheduler/scheduler.hpp"
#include "scheduler/strategy.hpp"

namespace fsrace::test_eb {

using namespace fsrace::model;

// Always runs the lowest-numbered runnable fiber: the test's main fiber runs until it blocks or ends,
// so bio completions (spawned later, higher ids) run only when it waits.
class lowest_first final : public sched::Strategy {
 public:
  void begin(uint64_t) override {}
  size_t choose(const sched::Decision&) override { return 0; }
};

struct cold_block {
  uint64_t bytenr = 0, generation = 0;
  int level = 0;
};

// mkfs of one 256 MiB device with the given node size, frozen; the extent tree's root leaf is the block
// the tests use (nothing of it is in the extent buffer cache after mkfs).
inline std::unique_ptr<btrfs_fs_info> make_prepared_fs(uint32_t nodesize, cold_block* block) {
  std::unique_ptr<btrfs_fs_info> fs;
  sched::Scheduler s;
  lowest_first strategy;
  s.spawn("mkfs", [&] {
    mkfs_options o;
    o.device_sizes = {256ull << 20};
    o.nodesize = nodesize;
    fs = btrfs_mkfs(o);
  });
  const sched::Execution ex = s.run(strategy, 0);
  INFO(ex.finding.message);
  REQUIRE(ex.finding.kind == sched::FindingKind::None);
  REQUIRE(fs);
  freeze(*fs);
  const btrfs_root& root = fs->extent_root();
  const tree_block_ptr* content = fs->buffer_radix.find(root.node);
  REQUIRE(content);
  *block = cold_block{root.node, (*content)->header.generation, (*content)->header.level};
  REQUIRE(fs->eb_tree.empty());
  REQUIRE(fs->btree_pages.empty());
  return fs;
}

// Runs `bodies` as fibers on a copy of `prepared` with `fixes`; `check` sees the copy afterwards.
struct run_result {
  sched::Execution ex;
  std::unique_ptr<btrfs_fs_info> fs;
};
inline run_result run_on_copy(const btrfs_fs_info& prepared, fix_set fixes, sched::Strategy& strategy, uint64_t seed,
                              const std::vector<std::pair<std::string, std::function<void(btrfs_fs_info&)>>>& bodies,
                              sched::Scheduler& s) {
  run_result r;
  r.fs = std::make_unique<btrfs_fs_info>(prepared);
  r.fs->fixes = fixes;
  btrfs_fs_info* fs = r.fs.get();
  for (const auto& named : bodies) s.spawn(named.first, [fs, body = named.second] { body(*fs); });
  r.ex = s.run(strategy, seed);
  return r;
}

inline fix_set fixes_with(bool fix_6bf9cd2eed9a) {
  fix_set f = fix_set::all_off();
  f.set("6bf9cd2eed9a", fix_6bf9cd2eed9a);
  return f;
}

}  // namespace fsrace::test_eb
