// Device add and remove (model/maint/device_add, device_remove): a spare block device joins the
// filesystem and new data lands on it; removal moves every chunk off a device and the filesystem checks
// clean; the refusals 6.1 gives; both excluded by a running exclusive operation.
#include <catch2/catch.hpp>

#include <cerrno>

#include "model/data/data_check.hpp"
#include "model/fsck.hpp"
#include "model/maint/balance.hpp"
#include "model/maint/cleaner.hpp"
#include "model/maint/dev_replace.hpp"
#include "model/maint/device_add.hpp"
#include "model/maint/device_remove.hpp"
#include "model/maint/resize.hpp"
#include "model/volumes.hpp"
#include "tests/model/test_data_fixture.hpp"
#include "tests/model/test_scrub_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test;

namespace {

constexpr uint64_t MiB = 1ull << 20;

uint64_t stripes_on(const btrfs_fs_info& fs, uint64_t devid) {
  uint64_t n = 0;
  for (const auto& [logical, map] : fs.mapping_tree)
    for (const auto& s : map->stripes) n += fs.dev(s.dev).devid == devid;
  return n;
}

bool has_dev_item(btrfs_fs_info& fs, uint64_t devid) {
  item_value v;
  return btrfs_lookup_item(fs, fs.chunk_root(), {BTRFS_DEV_ITEMS_OBJECTID, BTRFS_DEV_ITEM_KEY, devid}, &v) == 0;
}

std::unique_ptr<btrfs_fs_info> fs_with_spare(std::vector<uint64_t> devices, const char* data, const char* meta,
                                             uint64_t spare = 1024 * MiB) {
  mkfs_options opts;
  opts.device_sizes = std::move(devices);
  opts.data_profile = data;
  opts.metadata_profile = opts.system_profile = meta;
  auto fs = make_fs(opts);
  add_spare_block_device(*fs, spare);
  return fs;
}

}  // namespace

TEST_CASE("device add: the spare joins as the next devid, with its device item, and new data lands on it",
          "[model][device_add]") {
  auto fs = fs_with_spare({256 * MiB}, "single", "dup");
  uint64_t devid = 0;
  run_in_fiber([&] {
    btrfs_inode& inode = create_file(*fs, "a");
    MUST(btrfs_buffered_write(*fs, inode, 0, pattern_bytes(1, 0, 256 * 1024), "write a"));
    MUST(btrfs_sync_fs(*fs));
    REQUIRE(btrfs_ioctl_add_dev(*fs, 0, &devid) == 0);
  });
  CHECK(devid == 2);
  REQUIRE(fs->device(2));
  CHECK(fs->device(2)->total_bytes == 1024 * MiB);
  CHECK(fs->spare_bdevs[0].claimed_by == 2);
  CHECK(has_dev_item(*fs, 2));
  CHECK(fsck_and_oracle_problems(*fs).empty());
  // The new device has the most free space: the next data chunk goes there, and so does file b.
  run_in_fiber([&] {
    MUST(btrfs_force_chunk_alloc(*fs, BTRFS_BLOCK_GROUP_DATA, 1));
    btrfs_inode& b = create_file(*fs, "b");
    MUST(btrfs_buffered_write(*fs, b, 0, pattern_bytes(2, 0, 64 * MiB), "write b"));
    MUST(btrfs_sync_fs(*fs));
  });
  CHECK(stripes_on(*fs, 2) > 0);
  CHECK(fsck_and_oracle_problems(*fs).empty());
  // The same block device again: the filesystem holds it already.
  run_in_fiber([&] { CHECK(btrfs_ioctl_add_dev(*fs, 0) == -EEXIST); });
}

TEST_CASE("device remove: every chunk leaves the device with its data, the item and the device go, fsck is clean",
          "[model][device_remove]") {
  auto fs = fs_with_spare({512 * MiB, 512 * MiB}, "single", "raid1");
  run_in_fiber([&] {
    REQUIRE(btrfs_ioctl_add_dev(*fs, 0) == 0);  // devid 3: raid1 keeps two devices after the removal
    btrfs_inode& inode = create_file(*fs, "a");
    MUST(btrfs_buffered_write(*fs, inode, 0, pattern_bytes(3, 0, 8 * MiB), "write a"));
    MUST(btrfs_sync_fs(*fs));
    MUST(btrfs_force_chunk_alloc(*fs, BTRFS_BLOCK_GROUP_DATA, 2));
  });
  REQUIRE(stripes_on(*fs, 1) > 0);  // mkfs's system, metadata and data chunks
  run_in_fiber([&] { REQUIRE(btrfs_ioctl_rm_dev(*fs, 1) == 0); });
  CHECK_FALSE(fs->device(1));
  CHECK(stripes_on(*fs, 1) == 0);
  CHECK_FALSE(has_dev_item(*fs, 1));
  CHECK(fs->devices.size() == 2);
  CHECK(fsck_and_oracle_problems(*fs).empty());  // file a is read where it now lives
  // The added device can go too, and its block device is a spare again, to be added once more.
  run_in_fiber([&] { REQUIRE(btrfs_ioctl_rm_dev(*fs, 3) == BTRFS_ERROR_DEV_RAID1_MIN_NOT_MET); });
  auto single = fs_with_spare({512 * MiB}, "single", "dup");
  run_in_fiber([&] {
    REQUIRE(btrfs_ioctl_add_dev(*single, 0) == 0);
    REQUIRE(btrfs_ioctl_rm_dev(*single, 2) == 0);
  });
  CHECK(single->spare_bdevs[0].claimed_by == 0);
  CHECK(fsck_and_oracle_problems(*single).empty());
  uint64_t again = 0;
  run_in_fiber([&] { REQUIRE(btrfs_ioctl_add_dev(*single, 0, &again) == 0); });
  CHECK(again == 2);  // one past the chunk tree's last device item
  CHECK(fsck_and_oracle_problems(*single).empty());
}

TEST_CASE("device remove: the refusals of 6.1's btrfs_rm_device", "[model][device_remove]") {
  auto raid1 = fs_with_spare({512 * MiB, 512 * MiB}, "raid1", "raid1");
  auto single = fs_with_spare({512 * MiB}, "single", "dup");
  run_in_fiber([&] {
    // raid1 on two devices: one would remain (btrfs_check_raid_min_devices).
    CHECK(btrfs_ioctl_rm_dev(*raid1, 2) == BTRFS_ERROR_DEV_RAID1_MIN_NOT_MET);
    // The last device: single and dup need one device (mindev_error 0), but it is the only writable one.
    CHECK(btrfs_ioctl_rm_dev(*single, 1) == BTRFS_ERROR_DEV_ONLY_WRITABLE);
  });
  auto two = fs_with_spare({512 * MiB, 512 * MiB}, "single", "dup");
  run_in_fiber([&] { CHECK(btrfs_ioctl_rm_dev(*two, 9) == -ENOENT); });  // no such devid
  CHECK(two->devices.size() == 2);
  CHECK(btrfs_check(*raid1).empty());
  CHECK(btrfs_check(*single).empty());
  CHECK(btrfs_check(*two).empty());
}

TEST_CASE("device add and remove are refused while another exclusive operation runs", "[model][device_add][device_remove]") {
  auto fs = fs_with_spare({512 * MiB, 512 * MiB}, "single", "dup");
  run_in_fiber([&] {
    fs->flags |= BTRFS_FS_EXCL_OP;  // a balance, replace or resize holds it
    CHECK(btrfs_ioctl_add_dev(*fs, 0) == -EBUSY);
    CHECK(btrfs_ioctl_rm_dev(*fs, 2) == -EBUSY);
    fs->flags &= ~BTRFS_FS_EXCL_OP;
  });
  CHECK(fs->devices.size() == 2);
  CHECK(fs->spare_bdevs[0].claimed_by == 0);
  freeze(*fs);
  // Each against a real balance, resize and device replace: every schedule with one preemption either
  // runs them one after the other or refuses one with -EBUSY, and some schedule refuses.
  const std::vector<std::pair<const char*, std::function<int(btrfs_fs_info&)>>> others = {
      {"balance", [](btrfs_fs_info& f) { return btrfs_balance(f, btrfs_balance_control{}); }},
      {"resize", [](btrfs_fs_info& f) { return btrfs_resize_device(f, 1, 384 * MiB); }},
      {"replace", [](btrfs_fs_info& f) { return btrfs_dev_replace_by_ioctl(f, 1, 1024 * MiB, "tgt"); }},
  };
  for (const auto& [name, other] : others) {
    for (bool add : {true, false}) {
      INFO(name << (add ? " vs device add" : " vs device remove"));
      const std::vector<op_thread> threads = {
          {name, other},
          {add ? "add" : "remove", [add](btrfs_fs_info& f) { return add ? btrfs_ioctl_add_dev(f, 0) : btrfs_ioctl_rm_dev(f, 2); }},
      };
      bool refused = false;
      race_checker check = [&](const btrfs_fs_info& f, const std::vector<int>& rets, const sched::Execution&) {
        std::vector<std::string> problems;
        if (rets[0] == -EBUSY || rets[1] == -EBUSY) refused = true;
        for (int r : rets)
          if (r != 0 && r != -EBUSY) problems.push_back(fmt::format("returned {}", r));
        for (auto& p : btrfs_check(f)) problems.push_back(p);
        return problems;
      };
      auto x = explore_dfs(*fs, fix_set::all_on(), threads, check, 1, 400, false);
      INFO(x.problem);
      CHECK_FALSE(x.found);
      CHECK(refused);
    }
  }
}

TEST_CASE("2bb2e00ed978: device add's chunk tree COW finding no system space deadlocks with a chunk allocation",
          "[model][device_add][race]") {
  // The precondition no scenario reaches yet (ATLAS): every system block group without free space, as
  // if in-flight allocations had reserved it all. Then device add inserts its device item: before the
  // fix its COW, holding the chunk tree lock, asks btrfs_chunk_alloc for a system chunk and waits for
  // chunk_mutex, which a data chunk allocation holds while it waits for the chunk tree lock to update its
  // device items. With the fix device add reserves first (a system chunk under chunk_mutex alone).
  auto fs = fs_with_spare({1024 * MiB, 1024 * MiB}, "single", "dup", 256 * MiB);  // the spare: least free space
  for (auto& [start, bg] : fs->block_group_cache_tree) {
    if (!(bg->flags & BTRFS_BLOCK_GROUP_SYSTEM)) continue;
    uint64_t taken = 0;
    while (!bg->free_space.empty()) {
      const auto [at, len] = *bg->free_space.begin();
      REQUIRE(btrfs_remove_free_space(*bg, at, len));
      taken += len;
    }
    bg->reserved += taken;  // btrfs_add_reserved_bytes of what went
    btrfs_find_space_info(*fs, BTRFS_BLOCK_GROUP_SYSTEM).bytes_reserved += taken;
  }
  freeze(*fs);
  const std::vector<op_thread> threads = {
      {"add", [](btrfs_fs_info& f) { return btrfs_ioctl_add_dev(f, 0); }},
      {"alloc", [](btrfs_fs_info& f) { return btrfs_force_chunk_alloc(f, BTRFS_BLOCK_GROUP_DATA, 1); }},
  };
  race_checker check = [](const btrfs_fs_info&, const std::vector<int>& rets, const sched::Execution&) {
    std::vector<std::string> problems;
    for (int r : rets)
      if (r != 0) problems.push_back(fmt::format("returned {}", r));
    return problems;
  };
  fix_set off = fix_set::all_on();
  off.set("2bb2e00ed978", false);
  auto x_off = explore_dfs(*fs, off, threads, check, 1, 20000, true);
  REQUIRE(x_off.found);
  CHECK_THAT(x_off.problem, Catch::Contains("deadlock"));
  auto x_on = explore_dfs(*fs, fix_set::all_on(), threads, check, 2, 20000, false);
  INFO(x_on.problem);
  CHECK(x_on.exhausted);
  CHECK_FALSE(x_on.found);
  // Measured: off found at DFS bound 1 execution 128; on, bound 2 exhausted in 6,492 executions.
  INFO("off: " << x_off.problem);
  CHECK_THAT(x_off.problem, Catch::Contains("fs_info->chunk_mutex"));
}
