// btrfs_inc_block_group_ro as 6.1 has it (joins a transaction, ro_block_group_mutex, no forced read-only:
// inc_block_group_ro's space checks, a chunk allocated and one retry on -ENOSPC except for a SYSTEM group
// without do_chunk_alloc), and the transaction abort as a finding.
#include <catch2/catch.hpp>

#include <cerrno>

#include "model/block_group.hpp"
#include "model/maint/cleaner.hpp"
#include "model/transaction_abort.hpp"
#include "model/transaction.hpp"
#include "model/fsck.hpp"
#include "model/space_info.hpp"
#include "tests/model/test_data_fixture.hpp"
#include "tests/model/test_scrub_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test;

namespace {

std::vector<block_group_ptr> groups_of(btrfs_fs_info& fs, uint64_t type) {
  std::vector<block_group_ptr> out;
  for (auto& [start, bg] : fs.block_group_cache_tree)
    if (bg->flags & type) out.push_back(bg);
  return out;
}

// A 128 MiB device filled with data chunks: no unallocated space left for a new chunk of any type.
std::unique_ptr<btrfs_fs_info> full_device_fs() {
  mkfs_options o;
  o.device_sizes = {128ull << 20};
  auto fs = make_fs(o);
  run_in_fiber([&] {
    for (int i = 0; i < 64; ++i)
      if (btrfs_force_chunk_alloc(*fs, BTRFS_BLOCK_GROUP_DATA, 1) != 0) break;
  });
  return fs;
}

// btrfs_abort_transaction reports the function it is called in.
void abort_in_create_pending(btrfs_trans_handle& trans, int err) { btrfs_abort_transaction(trans, err); }
// The handle-less form reports the same way, with what failed.
void abort_if_in_insert(int err) { FSRACE_ABORT_TRANSACTION_IF(err != 0, err, "item {}", 7); }

}  // namespace

TEST_CASE("inc_block_group_ro: on a full device the only SYSTEM group still goes read-only (the first MiB counts as free chunk space)",
          "[model][block_group]") {
  // As in 6.1: free_chunk_space is total_bytes - bytes_used per device, and bytes_used never covers the
  // reserved first MiB, so btrfs_can_overcommit(NO_FLUSH) always has avail > 0. Without bytes_may_use
  // (not modelled) the group's own free bytes never exceed what the space info has: no -ENOSPC, no chunk.
  auto fs = full_device_fs();
  auto sys = groups_of(*fs, BTRFS_BLOCK_GROUP_SYSTEM);
  REQUIRE(sys.size() == 1);
  REQUIRE(btrfs_free_chunk_space(*fs) < 2 * sys[0]->length);
  REQUIRE(btrfs_free_chunk_space(*fs) >= (1ull << 20));
  const size_t chunks_before = fs->mapping_tree.size();
  int scrub_like = 1, relocation_like = 1;
  run_in_fiber([&] {
    scrub_like = btrfs_inc_block_group_ro(*fs, *sys[0], false);
    relocation_like = btrfs_inc_block_group_ro(*fs, *sys[0], true);
  });
  CHECK(scrub_like == 0);
  CHECK(relocation_like == 0);
  CHECK(sys[0]->ro == 2);
  CHECK(fs->mapping_tree.size() == chunks_before);
  const auto& ssinfo = btrfs_find_space_info(*fs, BTRFS_BLOCK_GROUP_SYSTEM);
  CHECK(ssinfo.bytes_readonly == sys[0]->length - sys[0]->used - sys[0]->reserved - sys[0]->pinned);
  CHECK(sys[0]->bytes_super == 0);  // the system chunk sits below 64 MiB
}

TEST_CASE("inc_block_group_ro: with unallocated space metadata overcommits and the group goes read-only once per call",
          "[model][block_group]") {
  auto fs = make_fs();
  auto sys = groups_of(*fs, BTRFS_BLOCK_GROUP_SYSTEM);
  auto meta = groups_of(*fs, BTRFS_BLOCK_GROUP_METADATA);
  REQUIRE(sys.size() == 1);
  REQUIRE(meta.size() == 1);
  const size_t chunks_before = fs->mapping_tree.size();
  run_in_fiber([&] {
    REQUIRE(btrfs_inc_block_group_ro(*fs, *sys[0], false) == 0);
    REQUIRE(btrfs_inc_block_group_ro(*fs, *meta[0], false) == 0);
    REQUIRE(btrfs_inc_block_group_ro(*fs, *meta[0], false) == 0);  // counter
  });
  CHECK(sys[0]->ro == 1);
  CHECK(meta[0]->ro == 2);
  // No metadata chunk was needed; the read-only SYSTEM group left no system space, so check_system_chunk at
  // out: allocated a system chunk (6.1).
  CHECK(fs->mapping_tree.size() == chunks_before + 1);
  CHECK(groups_of(*fs, BTRFS_BLOCK_GROUP_SYSTEM).size() == 2);
  const auto& msinfo = btrfs_find_space_info(*fs, BTRFS_BLOCK_GROUP_METADATA);
  // The super block copy at 64 MiB lies in the metadata chunk: its stripe was read-only from the start.
  REQUIRE(meta[0]->bytes_super == 64 * 1024);
  CHECK(msinfo.bytes_readonly == meta[0]->length - meta[0]->used - meta[0]->reserved - meta[0]->pinned);
  run_in_fiber([&] {
    btrfs_dec_block_group_ro(*fs, *meta[0]);
    btrfs_dec_block_group_ro(*fs, *meta[0]);
    btrfs_dec_block_group_ro(*fs, *sys[0]);
  });
  CHECK(msinfo.bytes_readonly == meta[0]->bytes_super);
}

TEST_CASE("inc_block_group_ro never deadlocks with a commit and waits for one that writes dirty block groups",
          "[model][block_group][race]") {
  auto prepared = make_fs();
  const uint64_t meta_start = groups_of(*prepared, BTRFS_BLOCK_GROUP_METADATA).at(0)->start;
  freeze(*prepared);
  std::vector<op_thread> threads = {
      {"ro", [meta_start](btrfs_fs_info& fs) {
         return btrfs_inc_block_group_ro(fs, *btrfs_lookup_block_group(fs, meta_start), false);
       }},
      {"commit", [](btrfs_fs_info& fs) { return btrfs_commit_current(fs); }},
  };
  uint64_t backed_off = 0;  // executions where the ro task joined twice: it found DIRTY_BG_RUN and waited
  race_checker check = [meta_start, &backed_off](const btrfs_fs_info& fs, const std::vector<int>& rets,
                                                 const sched::Execution& e) {
    std::vector<std::string> problems;
    if (rets[0] != 0 || rets[1] != 0) problems.push_back(fmt::format("returned {} {}", rets[0], rets[1]));
    auto it = fs.block_group_cache_tree.find(meta_start);
    if (it == fs.block_group_cache_tree.end() || it->second->ro != 1) problems.push_back("group not read-only");
    int joins = 0;
    for (const auto& step : e.trace)
      if (e.fiber_names.at(step.fiber) == "ro" && sched::format_label(step.label) == "btrfs_join_transaction") joins++;
    backed_off += joins > 1;
    return problems;
  };
  auto x = explore_dfs(*prepared, fix_set::all_on(), threads, check, 2, 200000, true);
  INFO(x.problem);
  CHECK_FALSE(x.found);
  CHECK(x.exhausted);
  CHECK(backed_off > 0);
}

TEST_CASE("a transaction abort is a finding naming the errno and the aborting function", "[model][transaction]") {
  auto fs = make_fs();
  for (int err : {-EEXIST, -EIO}) {
    sched::Scheduler s;
    s.spawn("t", [&] {
      btrfs_trans_handle trans = btrfs_join_transaction(*fs);
      abort_in_create_pending(trans, err);
    });
    sched::RandomStrategy r;
    const sched::Execution e = s.run(r, 1);
    INFO(e.finding.message);
    CHECK(e.finding.kind == (err == -EIO ? sched::FindingKind::Violation : sched::FindingKind::Warn));
    CHECK_THAT(e.finding.message, Catch::Contains(fmt::format("Transaction aborted (error {})", err)));
    CHECK_THAT(e.finding.message, Catch::Contains("in abort_in_create_pending"));
    sched::Scheduler s2;
    s2.spawn("t", [&] { abort_if_in_insert(err); });
    const sched::Execution e2 = s2.run(r, 1);
    CHECK(e2.finding.kind == e.finding.kind);
    CHECK_THAT(e2.finding.message,
               Catch::Contains(fmt::format("Transaction aborted (error {}) in abort_if_in_insert: item 7", err)));
  }
}

TEST_CASE("the end-of-execution check of block group and space info counters is a model self-check", "[model][fsck]") {
  // After writes, frees, a commit and a read-only group with the super block stripe in it, every counter
  // agrees (bytes_readonly = the groups' bytes_super + the free bytes of read-only groups).
  auto fs = make_fs();
  run_in_fiber([&] {
    btrfs_inode& inode = create_file(*fs, "a");
    MUST(btrfs_buffered_write(*fs, inode, 0, pattern_bytes(1, 0, 64 * 1024), "write a"));
    MUST(btrfs_sync_fs(*fs));
    MUST(btrfs_setsize(*fs, inode, 4096, "truncate a"));
    MUST(btrfs_commit_current(*fs));
    MUST(btrfs_inc_block_group_ro(*fs, *btrfs_lookup_block_group(*fs, file_extents(*fs, inode).at(0).fi.disk_bytenr), false));
    MUST(btrfs_sync_fs(*fs));
    btrfs_iput(*fs, inode);
  });
  REQUIRE(btrfs_check(*fs).empty());
  auto tool_error_of = [&]() -> std::string {
    try {
      btrfs_check(*fs);
    } catch (const sched::FindingRaised& e) {
      CHECK(e.kind() == sched::FindingKind::ToolError);
      return e.message();
    }
    return "no tool error";
  };
  block_group_ptr data = btrfs_lookup_block_group(*fs, btrfs_data_sinfo(*fs).block_groups.at(0));
  SECTION("a space info counter") {
    btrfs_data_sinfo(*fs).bytes_readonly += 4096;
    CHECK(tool_error_of().find("its block groups add up to") != std::string::npos);
  }
  SECTION("free space the counters do not account for") {
    REQUIRE(btrfs_remove_free_space(*data, data->free_space.begin()->first, 4096));
    CHECK(tool_error_of().find("bytes of free space") != std::string::npos);
  }
}
