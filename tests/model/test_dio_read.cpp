// Direct IO reads per extent map (model/data/direct_read.cpp): each mapping locked by lock_extent_direct,
// its bio submitted before the next mapping and its range unlocked at the bio's completion; a buffered
// write's ordered extent makes a read fall back to the page cache (ade770294df2) or, with the fix off,
// wait for it. The race scenario, dio-read-vs-buffered-write, is clean both ways on 6.1 (i_rwsem).
#include <catch2/catch.hpp>

#include <memory>

#include "model/data/direct_io.hpp"
#include "model/data/ordered_data.hpp"
#include "model/data/page_io.hpp"
#include "scheduler/sync/completion.hpp"
#include "tests/model/scenario_explore.hpp"
#include "tests/model/test_data_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test;

namespace {

constexpr uint64_t K = 1024;
const char* const kScenario = FSRACE_SOURCE_DIR "/scenarios/dio-read-vs-buffered-write.json";

// A file of two extents: [0, 8KiB) of pattern 1 and [8KiB, 16KiB) of pattern 2, committed, no pages cached.
btrfs_inode& two_extent_file(btrfs_fs_info& fs) {
  btrfs_inode& inode = create_file(fs, "f");
  MUST(btrfs_buffered_write(fs, inode, 0, pattern_bytes(1, 0, 8 * K), "w1"));
  MUST(btrfs_sync_fs(fs));
  MUST(btrfs_buffered_write(fs, inode, 8 * K, pattern_bytes(2, 8 * K, 8 * K), "w2"));
  MUST(btrfs_sync_fs(fs));
  invalidate_inode_pages_range(inode, 0, 16 * K);
  return inode;
}

std::vector<uint8_t> two_extent_bytes() {
  auto v = pattern_bytes(1, 0, 8 * K);
  auto b = pattern_bytes(2, 8 * K, 8 * K);
  v.insert(v.end(), b.begin(), b.end());
  return v;
}

// Completes ordered extent `id` by hand (it never had IO: removed as btrfs_finish_ordered_io ends) once the
// reader has looked it up and holds a reference (it waits for it), or has finished without waiting.
void complete_after_lookup(btrfs_fs_info& fs, btrfs_inode*& inode, uint64_t& id, sched::Completion& created,
                           const bool& reader_done) {
  created.wait_for_completion();
  while (!reader_done && btrfs_ordered_extent_by_id(fs, id)->refs < 2)
    sched::point(sched::L("test: completer waits for the reader's lookup"));
  btrfs_remove_ordered_extent(fs, *inode, id);
  btrfs_put_ordered_extent(fs, id);  // the tree's reference
  btrfs_iput(fs, *inode);            // the ordered extent's inode reference
}

// lock_extent_direct for a read of [0, 16KiB) with an ordered extent over [8KiB, 16KiB) that a second
// fiber completes once it exists (never IO'd: removed by hand, as btrfs_finish_ordered_io ends).
struct lock_case {
  int ret = 1;
  bool oe_done_at_return = false;  // the read waited for it
  bool locked_at_return = false;
};
lock_case run_lock_case(bool fix_on, bool dio_ordered, uint64_t seed) {
  auto fs = make_fs();
  fs->fixes.set("ade770294df2", fix_on);
  lock_case out;
  bool reader_done = false;
  btrfs_inode* inode = nullptr;
  uint64_t id = 0;
  auto created = std::make_shared<sched::Completion>("ordered extent created");
  sched::Scheduler s;
  s.spawn("reader", [&] {
    inode = &two_extent_file(*fs);
    const uint64_t bytenr = file_extents(*fs, *inode).at(1).fi.disk_bytenr;
    id = dio_ordered ? btrfs_add_ordered_extent_dio(*fs, *inode, 8 * K, bytenr, 8 * K, 8 * K, 0)
                     : btrfs_add_ordered_extent(*fs, *inode, 8 * K, bytenr, 8 * K, 8 * K, 0);
    created->complete();
    out.ret = lock_extent_direct(*fs, *inode, 0, 16 * K, false);
    out.oe_done_at_return = inode->ordered_tree.empty();
    out.locked_at_return = inode->io_tree.locked.intersects(0, 16 * K);
    if (out.ret == 0) unlock_extent(*inode, 0, 16 * K);
    reader_done = true;
  });
  s.spawn("completer", [&] { complete_after_lookup(*fs, inode, id, *created, reader_done); });
  sched::RandomStrategy r;
  const sched::Execution e = s.run(r, seed);
  INFO("finding: " << sched::to_string(e.finding.kind) << ": " << e.finding.message);
  REQUIRE(e.finding.kind == sched::FindingKind::None);
  return out;
}

}  // namespace

TEST_CASE("a direct read over two extents reads both from disk, caches no page and leaves the io tree unlocked",
          "[data][dio_read]") {
  auto fs = make_fs();
  int64_t n = 0;
  std::vector<uint8_t> got;
  size_t items = 0, pages = 0;
  bool locked = true;
  int dio_count = -1;
  run_in_fiber([&] {
    btrfs_inode& inode = two_extent_file(*fs);
    items = file_extents(*fs, inode).size();
    n = btrfs_file_read(*fs, inode, 0, 16 * K, true, got);
    pages = inode.mapping.pages.size();
    locked = !inode.io_tree.locked.empty();
    dio_count = inode.dio_count;
    btrfs_iput(*fs, inode);
  });
  REQUIRE(items == 2);
  CHECK(n == int64_t(16 * K));
  CHECK(got == two_extent_bytes());
  CHECK(pages == 0);
  CHECK_FALSE(locked);
  CHECK(dio_count == 0);
}

TEST_CASE("a direct read of an unaligned range past a hole returns the file's bytes and zeros", "[data][dio_read]") {
  auto fs = make_fs();
  int64_t n = 0;
  std::vector<uint8_t> got;
  run_in_fiber([&] {
    btrfs_inode& inode = create_file(*fs, "f");
    MUST(btrfs_buffered_write(*fs, inode, 12 * K, pattern_bytes(5, 12 * K, 6 * K), "w"));  // hole [0, 12KiB)
    MUST(btrfs_sync_fs(*fs));
    n = btrfs_file_read(*fs, inode, 1000, 20 * K, true, got);  // short at i_size 18KiB
    btrfs_iput(*fs, inode);
  });
  std::vector<uint8_t> want(12 * K - 1000, 0);
  auto data = pattern_bytes(5, 12 * K, 6 * K);
  want.insert(want.end(), data.begin(), data.end());
  CHECK(n == int64_t(want.size()));
  CHECK(got == want);
}

TEST_CASE("lock_extent_direct for a read: a buffered ordered extent gives -ENOTBLK with the fix, is waited for without",
          "[data][dio_read]") {
  for (uint64_t seed = 1; seed <= 8; seed++) {
    INFO("seed " << seed);
    const lock_case on = run_lock_case(true, false, seed);
    CHECK(on.ret == -ENOTBLK);
    CHECK_FALSE(on.locked_at_return);
    const lock_case off = run_lock_case(false, false, seed);
    CHECK(off.ret == 0);
    CHECK(off.oe_done_at_return);
    CHECK(off.locked_at_return);
  }
}

TEST_CASE("lock_extent_direct for a read waits for a direct IO ordered extent with the fix on", "[data][dio_read]") {
  for (uint64_t seed = 1; seed <= 8; seed++) {
    INFO("seed " << seed);
    const lock_case on = run_lock_case(true, true, seed);
    CHECK(on.ret == 0);
    CHECK(on.oe_done_at_return);
    CHECK(on.locked_at_return);
  }
}

// The whole read with a buffered ordered extent in its second extent, there before the read: the first
// mapping locks the whole remaining range (btrfs_dio_iomap_begin locks before it knows the extent map), so
// with the fix the whole read goes through the page cache (the first extent's page is cached after it);
// without it the read waits for the ordered extent and reads both extents from disk.
TEST_CASE("a direct read meeting a buffered write's ordered extent falls back to the page cache for the rest",
          "[data][dio_read]") {
  for (const bool fix_on : {true, false}) {
    INFO("fix " << fix_on);
    auto fs = make_fs();
    fs->fixes.set("ade770294df2", fix_on);
    int64_t n = 0;
    std::vector<uint8_t> got;
    bool first_cached = true, read_done = false;
    btrfs_inode* inode = nullptr;
    uint64_t id = 0;
    auto created = std::make_shared<sched::Completion>("ordered extent created");
    sched::Scheduler s;
    s.spawn("reader", [&] {
      inode = &two_extent_file(*fs);
      // The second extent's page cached and clean, as after its writeback; an ordered extent over it.
      std::vector<uint8_t> warm;
      MUST(btrfs_file_read(*fs, *inode, 8 * K, 8 * K, false, warm));
      const uint64_t bytenr = file_extents(*fs, *inode).at(1).fi.disk_bytenr;
      id = btrfs_add_ordered_extent(*fs, *inode, 8 * K, bytenr, 8 * K, 8 * K, 0);
      created->complete();
      n = btrfs_file_read(*fs, *inode, 0, 16 * K, true, got);
      first_cached = inode->mapping.pages.count(0) != 0;
      read_done = true;
    });
    s.spawn("completer", [&] { complete_after_lookup(*fs, inode, id, *created, read_done); });
    sched::RandomStrategy r;
    const sched::Execution e = s.run(r, 1);
    INFO("finding: " << sched::to_string(e.finding.kind) << ": " << e.finding.message);
    REQUIRE(e.finding.kind == sched::FindingKind::None);
    CHECK(read_done);
    CHECK(n == int64_t(16 * K));
    CHECK(got == two_extent_bytes());
    CHECK(first_cached == fix_on);
  }
}

// dio-read-vs-buffered-write: bounded DFS, clean with the fix off (the reader waits for the buffered
// ordered extent) and on (it reads through the page cache): 6.1's i_rwsem keeps the write out of the read.
// Counts measured (bound 2 is about 1.5 million executions).
TEST_CASE("dio-read-vs-buffered-write: DFS bound 1 exhausted clean with the fix off and on", "[data][dio_read][sim]") {
  for (const bool fix_on : {false, true}) {
    INFO("fix " << fix_on);
    const sim::exploration e = explore_scenario_dfs(kScenario, fix_on, 1);
    INFO((e.violations.empty() ? std::string() : e.violations[0].finding.message));
    INFO((e.tool_error ? e.tool_error->finding.message : std::string()));
    CHECK(e.violations.empty());
    CHECK_FALSE(e.tool_error);
    CHECK(e.exhausted);
    CHECK(e.executions == (fix_on ? 29389u : 40551u));
  }
}
