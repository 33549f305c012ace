// 978b63f7464a (v6.9, not in the declared kernel 6.1.192): 6.1.192's extent_fiemap walks cloned leaves and
// locks the io tree only around a hole's delalloc lookup, so delalloc flushed and its ordered extent
// completed after the clone was taken is missed: a hole over data. The fix locks the whole range for the
// walk and buffers the extents (copied out unlocked, the walk restarted when the buffer is full). Also the
// part of fiemap_matches_file that judges calls during which the file changed (fiemap_check_holes).
#include <catch2/catch.hpp>

#include "model/data/fiemap.hpp"
#include "model/data/fiemap_check.hpp"
#include "model/data/fiemap_holes.hpp"
#include "sim/explore.hpp"
#include "sim/model_world.hpp"
#include "sim/scenario_load.hpp"
#include "tests/model/scenario_explore.hpp"
#include "tests/model/test_data_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test;

namespace {

constexpr uint64_t K = 1024;
const char* const kScenario = FSRACE_SOURCE_DIR "/scenarios/fiemap-vs-flush-in-hole.json";


fiemap_truth truth(std::vector<fiemap_segment> segments) {
  fiemap_truth t;
  t.segments = std::move(segments);
  if (!t.segments.empty()) t.data_end = t.segments.back().end;
  return t;
}

fiemap_extent_info answer(std::vector<fiemap_extent> extents, uint32_t max = 64) {
  fiemap_extent_info fi;
  fi.fi_extents_max = max;
  fi.fi_extents_mapped = uint32_t(extents.size());
  fi.extents = std::move(extents);
  return fi;
}

using seg = fiemap_segment::kind;

}  // namespace

TEST_CASE("fiemap_check_holes: data at both ends of the call reported as nothing is a hole over data",
          "[fiemap_delalloc][fiemap]") {
  // The race's two moments: delalloc at [64K, 128K) when the call locked, an extent there when it unlocked.
  const fiemap_truth at_lock = truth({{seg::data, 0, 64 * K, 1 << 20, 0},
                                      {seg::delalloc, 64 * K, 128 * K, 0, 0},
                                      {seg::data, 128 * K, 192 * K, 2 << 20, 0}});
  const fiemap_truth at_unlock = truth({{seg::data, 0, 64 * K, 1 << 20, 0},
                                        {seg::data, 64 * K, 128 * K, 3 << 20, 0},
                                        {seg::data, 128 * K, 192 * K, 2 << 20, 0}});
  const uint64_t end = 192 * K;
  SECTION("the hole is found, named with both states") {
    const auto fi = answer({{0, 1 << 20, 64 * K, 0}, {128 * K, 2 << 20, 64 * K, FIEMAP_EXTENT_LAST}});
    const auto problems = fiemap_check_holes(at_lock, at_unlock, fi, 0, end);
    REQUIRE(problems.size() == 1);
    INFO(problems[0]);
    CHECK(problems[0].find("file range 65536+65536: fiemap reported a hole") != std::string::npos);
    CHECK(problems[0].find("(delalloc 65536+65536)") != std::string::npos);
    CHECK(problems[0].find("(data 65536+65536 at disk 3145728)") != std::string::npos);
  }
  SECTION("either state reported there is accepted: delalloc, or the new extent") {
    const auto as_delalloc = answer({{0, 1 << 20, 64 * K, 0},
                                     {64 * K, 0, 64 * K, FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_UNKNOWN},
                                     {128 * K, 2 << 20, 64 * K, FIEMAP_EXTENT_LAST}});
    CHECK(fiemap_check_holes(at_lock, at_unlock, as_delalloc, 0, end).empty());
    const auto as_data = answer({{0, 1 << 20, 64 * K, 0}, {64 * K, 3 << 20, 192 * K, FIEMAP_EXTENT_LAST}});
    CHECK(fiemap_check_holes(at_lock, at_unlock, as_data, 0, end).empty());
  }
  SECTION("a range mapped at one end only may be a hole in the answer") {
    const fiemap_truth hole_at_lock = truth({{seg::data, 0, 64 * K, 1 << 20, 0}, {seg::data, 128 * K, end, 2 << 20, 0}});
    const auto fi = answer({{0, 1 << 20, 64 * K, 0}, {128 * K, 2 << 20, 64 * K, FIEMAP_EXTENT_LAST}});
    CHECK(fiemap_check_holes(hole_at_lock, at_unlock, fi, 0, end).empty());
  }
  SECTION("only the answer's range, and up to the last extent of an answer cut short, is judged") {
    const auto first_only = answer({{0, 1 << 20, 64 * K, 0}}, 1);
    CHECK(fiemap_check_holes(at_lock, at_unlock, first_only, 0, end).empty());
    const auto counted = answer({}, 0);
    CHECK(fiemap_check_holes(at_lock, at_unlock, counted, 0, end).empty());
    const auto tail = answer({{128 * K, 2 << 20, 64 * K, FIEMAP_EXTENT_LAST}});
    CHECK(fiemap_check_holes(at_lock, at_unlock, tail, 128 * K, end).empty());
  }
}

// With the fix the answer goes through the buffer: 300 separate extents need two restarts (128 entries a
// page); the answer is the one 6.1.192's walk gives, also when fm_extent_count cuts it.
TEST_CASE("978b63f7464a's buffered walk gives 6.1.192's answer, across restarts of a full buffer",
          "[fiemap_delalloc][fiemap]") {
  constexpr uint64_t kExtents = 300;
  for (const uint32_t max : {512u, 200u, 7u}) {
    auto fs = make_fs();
    fiemap_extent_info off, on;
    int ret_off = 1, ret_on = 1;
    run_in_fiber([&] {
      btrfs_inode& f = create_file(*fs, "f");
      for (uint64_t i = 0; i < kExtents; i++)  // 4 KiB of data every 8 KiB: no two extents merge
        MUST(btrfs_buffered_write(*fs, f, i * 8 * K, pattern_bytes(1, i * 8 * K, 4 * K), "w"));
      MUST(btrfs_sync_fs(*fs));
      MUST(btrfs_buffered_write(*fs, f, kExtents * 8 * K, pattern_bytes(1, kExtents * 8 * K, 4 * K), "tail"));
      off.fi_extents_max = on.fi_extents_max = max;
      fs->fixes.set("978b63f7464a", false);
      ret_off = btrfs_fiemap(*fs, f, off, 0, FIEMAP_MAX_OFFSET);
      fs->fixes.set("978b63f7464a", true);
      ret_on = btrfs_fiemap(*fs, f, on, 0, FIEMAP_MAX_OFFSET);
    });
    INFO("fm_extent_count " << max);
    CHECK(ret_off == 0);
    CHECK(ret_on == 0);
    CHECK(off.extents.size() == std::min<size_t>(max, kExtents + 1));
    CHECK(on.extents == off.extents);
    CHECK(on.fi_extents_mapped == off.fi_extents_mapped);
    if (max > kExtents) {  // the last one is the dirty tail, delalloc and LAST
      CHECK(on.extents.back() ==
            fiemap_extent{kExtents * 8 * K, 0, 4 * K,
                          FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_LAST});
    }
  }
}

// The scenario: fiemap of foo (extents at [0, 64K) and [128K, 192K), a dirty write between) against
// writeback and the wait for its ordered extent. 6.1.192 as it is ("off"): a hole over data.
TEST_CASE("fiemap-vs-flush-in-hole: 6.1.192 reports a hole over data flushed during the walk",
          "[fiemap_delalloc][fiemap][sim]") {
  const sim::exploration e = explore_scenario_dfs(kScenario, false, 1);
  REQUIRE(e.violations.size() == 1);
  const std::string& m = e.violations[0].finding.message;
  INFO(m);
  CHECK(m.find("fiemap of file foo") != std::string::npos);
  CHECK(m.find("which changed during the call") != std::string::npos);
  CHECK(m.find("file range 65536+65536: fiemap reported a hole") != std::string::npos);
  CHECK(m.find("(delalloc 65536+65536)") != std::string::npos);
  CHECK(e.executions == 39);  // DFS bound 1: the 39th execution
}

TEST_CASE("fiemap-vs-flush-in-hole: with 978b63f7464a DFS bound 2 is exhausted clean",
          "[fiemap_delalloc][fiemap][sim]") {
  const sim::exploration e = explore_scenario_dfs(kScenario, true, 2);
  INFO((e.violations.empty() ? std::string() : e.violations[0].finding.message));
  INFO((e.tool_error ? e.tool_error->finding.message : std::string()));
  CHECK(e.violations.empty());
  CHECK_FALSE(e.tool_error);
  CHECK(e.exhausted);
  CHECK(e.executions == 6912);  // about 3 s
}
