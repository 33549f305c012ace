// System space reservation as 6.1 has it: check_system_chunk / btrfs_reserve_chunk_metadata reserve in
// fs_info->chunk_block_rsv and allocate a system chunk when the system space info lacks room, the handle's
// chunk_bytes_reserved goes back to 0 at the kernel's points, the super block's sys_chunk_array grows with
// each system chunk item up to BTRFS_SYSTEM_CHUNK_ARRAY_SIZE (then -EFBIG), and btrfs_remove_chunk holds
// chunk_mutex across its chunk tree updates (79bd37120b14).
#include <catch2/catch.hpp>

#include <cerrno>

#include "model/block_group.hpp"
#include "model/chunk_alloc.hpp"
#include "model/chunk_item.hpp"
#include "model/chunk_reserve.hpp"
#include "model/maint/cleaner.hpp"
#include "model/transaction.hpp"
#include "tests/model/test_scrub_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test;

namespace {

size_t system_groups(btrfs_fs_info& fs) {
  size_t n = 0;
  for (auto& [start, bg] : fs.block_group_cache_tree) n += (bg->flags & BTRFS_BLOCK_GROUP_SYSTEM) != 0;
  return n;
}

uint64_t system_may_use(btrfs_fs_info& fs) { return btrfs_find_space_info(fs, BTRFS_BLOCK_GROUP_SYSTEM).bytes_may_use; }

fix_set with(const char* fix, bool on) {
  fix_set f = fix_set::all_on();
  f.set(fix, on);
  return f;
}

// Runs `body` as the only fiber; returns the execution (its finding, if any).
sched::Execution run_alone(const std::function<void()>& body) {
  sched::Scheduler s;
  s.spawn("test", body);
  sched::RandomStrategy r;
  return s.run(r, 1);
}

}  // namespace

TEST_CASE("check_system_chunk: reservations fill the system space, the next one allocates a system chunk first",
          "[model][chunk_reserve]") {
  auto fs = make_fs();
  fs->fixes = fix_set::all_on();
  run_in_fiber([&] {
    REQUIRE(system_groups(*fs) == 1);
    REQUIRE(fs->sys_chunk_array.size() == 1);  // mkfs's system chunk
    btrfs_trans_handle trans = btrfs_start_transaction(*fs);
    const uint64_t per = btrfs_calc_metadata_size(*fs, 1);
    int calls = 0;
    while (system_groups(*fs) == 1 && calls < 1000) {
      btrfs_reserve_chunk_metadata(trans, false);
      calls++;
    }
    // The system chunk came only once the reserved bytes left less than one more reservation.
    REQUIRE(system_groups(*fs) == 2);
    btrfs_space_info& sys = btrfs_find_space_info(*fs, BTRFS_BLOCK_GROUP_SYSTEM);
    const uint64_t before_last = sys.total_bytes - fs->block_group_cache_tree.rbegin()->second->length;
    CHECK(calls > 1);
    CHECK(before_last - (btrfs_space_info_used(sys) - per) < per);
    CHECK(trans.chunk_bytes_reserved == uint64_t(calls) * per);
    CHECK(fs->chunk_block_rsv.size == trans.chunk_bytes_reserved);
    // The new system chunk's item took a chunk tree block from the reserve (btrfs_use_block_rsv), and its
    // allocation took those bytes off bytes_may_use.
    CHECK(fs->chunk_block_rsv.reserved < fs->chunk_block_rsv.size);
    CHECK(system_may_use(*fs) == fs->chunk_block_rsv.reserved);
    // Phase 1 (79bd37120b14): the new system chunk's item and sys_chunk_array entry are in at once.
    block_group_ptr newest;
    for (auto& [start, bg] : fs->block_group_cache_tree)
      if (bg->flags & BTRFS_BLOCK_GROUP_SYSTEM) newest = bg;
    CHECK(newest->chunk_item_inserted);
    CHECK(fs->sys_chunk_array.size() == 2);
    btrfs_trans_release_chunk_metadata(trans);
    CHECK(trans.chunk_bytes_reserved == 0);
    CHECK(fs->chunk_block_rsv.size == 0);
    CHECK(fs->chunk_block_rsv.reserved == 0);
    CHECK(system_may_use(*fs) == 0);
    REQUIRE(btrfs_commit_transaction(trans) == 0);
    CHECK(fs->super_sys_chunk_array.size() == 2);
  });
}

TEST_CASE("chunk_bytes_reserved: released in phase 1 with 79bd37120b14, held until the handle's phase 2 without it",
          "[model][chunk_reserve]") {
  for (bool on : {true, false}) {
    INFO("79bd37120b14 " << (on ? "on" : "off"));
    auto fs = make_fs();
    fs->fixes = with("79bd37120b14", on);
    run_in_fiber([&] {
      btrfs_trans_handle trans = btrfs_start_transaction(*fs);
      REQUIRE(btrfs_force_chunk_alloc(trans, BTRFS_BLOCK_GROUP_DATA) == 1);
      const uint64_t start = fs->mapping_tree.rbegin()->first;
      const block_group_ptr bg = fs->block_group_cache_tree.at(start);
      if (on) {
        CHECK(trans.chunk_bytes_reserved == 0);
        CHECK(bg->chunk_item_inserted);
      } else {
        CHECK(trans.chunk_bytes_reserved > 0);
        CHECK(system_may_use(*fs) == trans.chunk_bytes_reserved);
        CHECK_FALSE(bg->chunk_item_inserted);
      }
      btrfs_end_transaction(trans);  // phase 2: btrfs_create_pending_block_groups, then the release
      CHECK(bg->chunk_item_inserted);
      CHECK(trans.chunk_bytes_reserved == 0);
      CHECK(fs->chunk_block_rsv.size == 0);
      CHECK(system_may_use(*fs) == 0);
      REQUIRE(btrfs_commit_current(*fs) == 0);
      CHECK(btrfs_check(*fs).empty());
    });
  }
}

TEST_CASE("sys_chunk_array: entries of 17 + 48 + 32 bytes per stripe up to 2048 bytes, then -EFBIG",
          "[model][chunk_reserve]") {
  auto fs = make_fs();
  const uint32_t mkfs_entry = BTRFS_DISK_KEY_SIZE + btrfs_chunk_item_size(2);  // dup system chunk
  REQUIRE(mkfs_entry == 129);
  REQUIRE(fs->sys_array_size == mkfs_entry);
  const uint32_t single = BTRFS_DISK_KEY_SIZE + btrfs_chunk_item_size(1);
  REQUIRE(single == 97);
  int added = 0;
  int ret = 0;
  for (uint64_t off = 1ull << 40; ret == 0; off += 1ull << 30) {
    ret = btrfs_add_system_chunk(*fs, off, 1);
    added += ret == 0;
  }
  CHECK(ret == -EFBIG);
  CHECK(added == int((BTRFS_SYSTEM_CHUNK_ARRAY_SIZE - mkfs_entry) / single));
  CHECK(fs->sys_array_size <= BTRFS_SYSTEM_CHUNK_ARRAY_SIZE);
  CHECK(fs->sys_array_size + single > BTRFS_SYSTEM_CHUNK_ARRAY_SIZE);
  // btrfs_del_sys_chunk makes room again.
  REQUIRE(btrfs_del_sys_chunk(*fs, 1ull << 40) == 0);
  CHECK(btrfs_add_system_chunk(*fs, 1ull << 39, 1) == 0);
  CHECK(btrfs_del_sys_chunk(*fs, 12345) == -ENOENT);
}

TEST_CASE("sys_chunk_array: system chunks past the array abort the transaction with -EFBIG in phase 2 (5.12)",
          "[model][chunk_reserve]") {
  auto fs = make_fs();
  fs->fixes = fix_set::for_kernel("5.12");  // btrfs_chunk_alloc still allocates SYSTEM chunks (2bb2e00ed978 off)
  const sched::Execution e = run_alone([&] { btrfs_force_chunk_alloc(*fs, BTRFS_BLOCK_GROUP_SYSTEM, 20); });
  REQUIRE(e.finding.kind == sched::FindingKind::Warn);
  CHECK_THAT(e.finding.message, Catch::Contains("Transaction aborted (error -27)"));
  CHECK_THAT(e.finding.message, Catch::Contains("btrfs_create_pending_block_groups"));
  // 6.1 refuses system chunks in btrfs_chunk_alloc: only check_system_chunk allocates them.
  auto fs61 = make_fs();
  fs61->fixes = fix_set::all_on();
  int ret = 0;
  run_in_fiber([&] { ret = btrfs_force_chunk_alloc(*fs61, BTRFS_BLOCK_GROUP_SYSTEM, 1); });
  CHECK(ret == -ENOSPC);
}

TEST_CASE("btrfs_remove_chunk holds chunk_mutex across its chunk tree updates (79bd37120b14)",
          "[model][chunk_reserve][race]") {
  // One device, an empty data chunk on unused_bgs; the cleaner removes it while an observer, under
  // chunk_mutex, reads the chunk item and the device item: with the fix it never sees the device item
  // updated while the chunk item is still there.
  mkfs_options o;
  o.device_sizes = {512ull << 20};
  auto prepared = make_fs(o);
  uint64_t empty = 0, dev_item_before = 0;
  run_in_fiber([&] {
    write_file(*prepared, "a", 0, 64 * 1024, 1);
    REQUIRE(btrfs_sync_fs(*prepared) == 0);
    REQUIRE(btrfs_force_chunk_alloc(*prepared, BTRFS_BLOCK_GROUP_DATA, 1) == 0);
    btrfs_mark_empty_bgs_unused(*prepared);
    item_value v;
    REQUIRE(btrfs_lookup_item(*prepared, prepared->chunk_root(), {BTRFS_DEV_ITEMS_OBJECTID, BTRFS_DEV_ITEM_KEY, 1}, &v) == 0);
    dev_item_before = std::get<btrfs_dev_item>(v).bytes_used;
  });
  empty = std::prev(prepared->block_group_cache_tree.end())->first;
  freeze(*prepared);
  const std::vector<op_thread> threads = {
      {"cleaner", [](btrfs_fs_info& fs) {
         btrfs_delete_unused_bgs(fs);
         return 0;
       }},
      {"observer", [&](btrfs_fs_info& fs) {
         for (int i = 0; i < 4; ++i) {
           fs.chunk_mutex.lock();
           item_value c, d;
           const bool chunk = btrfs_lookup_item(fs, fs.chunk_root(), {BTRFS_FIRST_CHUNK_TREE_OBJECTID, BTRFS_CHUNK_ITEM_KEY, empty}, &c) == 0;
           REQUIRE(btrfs_lookup_item(fs, fs.chunk_root(), {BTRFS_DEV_ITEMS_OBJECTID, BTRFS_DEV_ITEM_KEY, 1}, &d) == 0);
           const bool dev_updated = std::get<btrfs_dev_item>(d).bytes_used != dev_item_before;
           fs.chunk_mutex.unlock();
           if (chunk && dev_updated) return 7;  // between remove_chunk_item's two updates
         }
         return 0;
       }},
  };
  race_checker check = [&](const btrfs_fs_info& fs, const std::vector<int>& rets, const sched::Execution&) {
    std::vector<std::string> problems;
    if (rets[1] == 7) problems.push_back("observer saw the device item updated and the chunk item still there");
    if (fs.block_group_cache_tree.count(empty)) problems.push_back("the empty chunk was not removed");
    return problems;
  };
  auto off = explore_dfs(*prepared, with("79bd37120b14", false), threads, check, 1, 20000, true);
  REQUIRE(off.found);
  CHECK_THAT(off.problem, Catch::Contains("observer saw"));
  auto on = explore_dfs(*prepared, fix_set::all_on(), threads, check, 1, 20000, false);
  CHECK(on.exhausted);
  CHECK_FALSE(on.found);
}
