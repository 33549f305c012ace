// Device resize (model/maint/resize): growing, shrinking that relocates the chunks past the new size
// (data kept), the sizes refused, and a shrink that cannot relocate keeping the old size.
#include <catch2/catch.hpp>

#include <cerrno>

#include "model/data/data_check.hpp"
#include "model/fsck.hpp"
#include "model/maint/cleaner.hpp"
#include "model/maint/resize.hpp"
#include "model/volumes.hpp"
#include "tests/model/test_data_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test;

namespace {

constexpr uint64_t MiB = 1ull << 20;

// The end of the highest stripe on the device.
uint64_t highest_stripe_end(const btrfs_fs_info& fs, uint64_t devid) {
  uint64_t end = 0;
  for (const auto& [logical, map] : fs.mapping_tree)
    for (const auto& s : map->stripes)
      if (fs.dev(s.dev).devid == devid) end = std::max(end, s.physical + map_stripe_size(*map));
  return end;
}

// The device item's total_bytes in the chunk tree.
uint64_t dev_item_size(btrfs_fs_info& fs, uint64_t devid) {
  item_value v;
  REQUIRE(btrfs_lookup_item(fs, fs.chunk_root(), {BTRFS_DEV_ITEMS_OBJECTID, BTRFS_DEV_ITEM_KEY, devid}, &v) == 0);
  return std::get<btrfs_dev_item>(v).total_bytes;
}

}  // namespace

TEST_CASE("resize: a shrink relocates every chunk past the new size with its file data, and a grow takes the space back",
          "[model][resize]") {
  mkfs_options opts;
  opts.device_sizes = {1024 * MiB};
  auto fs = make_fs(opts);
  run_in_fiber([&] {
    btrfs_inode& inode = create_file(*fs, "a");
    MUST(btrfs_buffered_write(*fs, inode, 0, pattern_bytes(1, 0, 256 * 1024), "write a"));
    MUST(btrfs_sync_fs(*fs));
    MUST(btrfs_force_chunk_alloc(*fs, BTRFS_BLOCK_GROUP_DATA, 4));
  });
  REQUIRE(highest_stripe_end(*fs, 1) > 512 * MiB);
  run_in_fiber([&] { MUST(btrfs_resize_device(*fs, 1, 512 * MiB)); });
  CHECK(fs->device(1)->total_bytes == 512 * MiB);
  CHECK(dev_item_size(*fs, 1) == 512 * MiB);
  CHECK(highest_stripe_end(*fs, 1) <= 512 * MiB);
  CHECK(fsck_and_oracle_problems(*fs).empty());  // the data oracle reads file a where it now lives
  run_in_fiber([&] { MUST(btrfs_resize_device(*fs, 1, 1024 * MiB)); });
  CHECK(fs->device(1)->total_bytes == 1024 * MiB);
  CHECK(dev_item_size(*fs, 1) == 1024 * MiB);
  CHECK(fsck_and_oracle_problems(*fs).empty());
}

TEST_CASE("resize: sizes the ioctl refuses, and a shrink with no room keeps the old size", "[model][resize]") {
  mkfs_options opts;
  opts.device_sizes = {1024 * MiB};
  auto fs = make_fs(opts);
  run_in_fiber([&] {
    CHECK(btrfs_resize_device(*fs, 1, 255 * MiB) == -EINVAL);     // below 256 MiB
    CHECK(btrfs_resize_device(*fs, 1, 2048 * MiB) == -EFBIG);     // past the block device
    CHECK(btrfs_resize_device(*fs, 7, 512 * MiB) == -ENODEV);     // no such device
    fs->flags |= BTRFS_FS_EXCL_OP;                                 // a balance runs
    CHECK(btrfs_resize_device(*fs, 1, 512 * MiB) == -EBUSY);
    fs->flags &= ~BTRFS_FS_EXCL_OP;
    // Fill the device with data chunks: what lies past 256 MiB cannot move below it.
    while (btrfs_force_chunk_alloc(*fs, BTRFS_BLOCK_GROUP_DATA, 1) == 0) {}
    btrfs_inode& inode = create_file(*fs, "a");
    for (uint64_t off = 0; off < 600 * MiB; off += 8 * MiB)
      MUST(btrfs_buffered_write(*fs, inode, off, pattern_bytes(2, off, 8 * MiB), "write a"));
    MUST(btrfs_sync_fs(*fs));
    CHECK(btrfs_resize_device(*fs, 1, 256 * MiB) == -ENOSPC);
  });
  CHECK(fs->device(1)->total_bytes == 1024 * MiB);
  CHECK(dev_item_size(*fs, 1) == 1024 * MiB);
  CHECK(fsck_and_oracle_problems(*fs).empty());
}
