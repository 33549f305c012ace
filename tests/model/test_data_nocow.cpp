// Where writes land: nocow (nodatacow files, prealloc extents) in place, COW somewhere new.
#include <catch2/catch.hpp>

#include "model/data/data_check.hpp"
#include "model/data/ordered_data.hpp"
#include "model/fsck.hpp"
#include "model/maint/snapshot.hpp"
#include "tests/model/test_data_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test;

namespace {

constexpr uint64_t K = 1024;

std::vector<uint8_t> disk_bytes(btrfs_fs_info& fs, uint64_t logical, uint64_t len) { return read_mirror(fs, logical, len, 1); }

}  // namespace

TEST_CASE("nodatacow overwrites (buffered and direct) land in place", "[data][nocow]") {
  auto fs = make_fs();
  run_in_fiber([&] {
    btrfs_inode& inode = create_file(*fs, "n", true);
    MUST(btrfs_buffered_write(*fs, inode, 0, pattern_bytes(1, 0, 64 * K), "write n"));
    MUST(btrfs_sync_fs(*fs));
    auto items = file_extents(*fs, inode);
    REQUIRE(items.size() == 1);
    const uint64_t x = items[0].fi.disk_bytenr;

    MUST(btrfs_buffered_write(*fs, inode, 16 * K, pattern_bytes(2, 16 * K, 16 * K), "overwrite n"));
    MUST(btrfs_sync_file(*fs, inode, 0, ~0ull));
    CHECK(fs->data_stats.nocow_extents == 1);
    MUST(btrfs_direct_write(*fs, inode, 48 * K, pattern_bytes(3, 48 * K, 8 * K), "dio n"));
    CHECK(fs->data_stats.dio_nocow == 1);
    MUST(btrfs_wait_ordered_range(*fs, inode, 0, ~0ull));

    items = file_extents(*fs, inode);
    REQUIRE(items.size() == 1);  // nocow ordered extents leave the file extent items alone
    CHECK(items[0].fi.disk_bytenr == x);
    CHECK(disk_bytes(*fs, x + 16 * K, 16 * K) == pattern_bytes(2, 16 * K, 16 * K));
    CHECK(disk_bytes(*fs, x + 48 * K, 8 * K) == pattern_bytes(3, 48 * K, 8 * K));
    CHECK(disk_bytes(*fs, x, 16 * K) == pattern_bytes(1, 0, 16 * K));
    btrfs_iput(*fs, inode);
  });
  CHECK(btrfs_check(*fs).empty());
  CHECK(btrfs_check_data_against_oracle(*fs).empty());
}

TEST_CASE("COW overwrites move the data and split the file extent item", "[data][cow]") {
  auto fs = make_fs();
  run_in_fiber([&] {
    btrfs_inode& inode = create_file(*fs, "c");
    MUST(btrfs_buffered_write(*fs, inode, 0, pattern_bytes(1, 0, 64 * K), "write c"));
    MUST(btrfs_sync_fs(*fs));
    const uint64_t x = file_extents(*fs, inode).at(0).fi.disk_bytenr;

    MUST(btrfs_buffered_write(*fs, inode, 16 * K, pattern_bytes(2, 16 * K, 16 * K), "overwrite c"));
    MUST(btrfs_direct_write(*fs, inode, 48 * K, pattern_bytes(3, 48 * K, 8 * K), "dio c"));
    MUST(btrfs_sync_fs(*fs));
    CHECK(fs->data_stats.dio_cow == 1);
    CHECK(fs->data_stats.nocow_extents == 0);

    const auto items = file_extents(*fs, inode);
    REQUIRE(items.size() == 5);  // [0,16K) x, [16K,32K) new, [32K,48K) x, [48K,56K) new, [56K,64K) x
    CHECK(items[0].fi.disk_bytenr == x);
    CHECK(items[1].fi.disk_bytenr != x);
    CHECK(items[2].fi.disk_bytenr == x);
    CHECK(items[2].fi.offset == 32 * K);
    CHECK(items[3].fi.disk_bytenr != x);
    CHECK(items[4].fi.offset == 56 * K);
    // The old extent still holds the old bytes: nothing was written in place.
    CHECK(disk_bytes(*fs, x + 16 * K, 16 * K) == pattern_bytes(1, 16 * K, 16 * K));
    CHECK(disk_bytes(*fs, items[1].fi.disk_bytenr, 16 * K) == pattern_bytes(2, 16 * K, 16 * K));
    btrfs_iput(*fs, inode);
  });
  CHECK(btrfs_check(*fs).empty());
  CHECK(btrfs_check_data_against_oracle(*fs).empty());
}

TEST_CASE("writes into prealloc extents are nocow and turn them regular piece by piece", "[data][prealloc]") {
  auto fs = make_fs();
  run_in_fiber([&] {
    btrfs_inode& inode = create_file(*fs, "p");
    MUST(btrfs_fallocate(*fs, inode, false, 0, 64 * K, "fallocate p"));
    CHECK(inode.i_size == 64 * K);
    CHECK((inode.flags & BTRFS_INODE_PREALLOC) != 0);
    auto items = file_extents(*fs, inode);
    REQUIRE(items.size() == 1);
    CHECK(items[0].fi.type == BTRFS_FILE_EXTENT_PREALLOC);
    const uint64_t p = items[0].fi.disk_bytenr;

    MUST(btrfs_direct_write(*fs, inode, 0, pattern_bytes(4, 0, 16 * K), "dio p"));
    CHECK(fs->data_stats.dio_nocow == 1);
    MUST(btrfs_buffered_write(*fs, inode, 32 * K, pattern_bytes(5, 32 * K, 16 * K), "write p"));
    MUST(btrfs_sync_fs(*fs));
    CHECK(fs->data_stats.nocow_extents == 1);

    items = file_extents(*fs, inode);
    REQUIRE(items.size() == 4);
    CHECK(items[0].fi.type == BTRFS_FILE_EXTENT_REG);
    CHECK(items[1].fi.type == BTRFS_FILE_EXTENT_PREALLOC);
    CHECK(items[2].fi.type == BTRFS_FILE_EXTENT_REG);
    CHECK(items[3].fi.type == BTRFS_FILE_EXTENT_PREALLOC);
    for (const auto& fe : items) CHECK(fe.fi.disk_bytenr == p);
    CHECK(disk_bytes(*fs, p, 16 * K) == pattern_bytes(4, 0, 16 * K));
    CHECK(disk_bytes(*fs, p + 32 * K, 16 * K) == pattern_bytes(5, 32 * K, 16 * K));

    std::vector<uint8_t> got;
    const int64_t n = btrfs_file_read(*fs, inode, 0, 64 * K, true, got);
    REQUIRE(n == int64_t(64 * K));
    CHECK(std::equal(got.begin() + 16 * K, got.begin() + 32 * K, std::vector<uint8_t>(16 * K, 0).begin()));
    btrfs_iput(*fs, inode);
  });
  CHECK(btrfs_check(*fs).empty());
  CHECK(btrfs_check_data_against_oracle(*fs).empty());
}

TEST_CASE("a snapshot makes a nodatacow extent shared so the next overwrite is COW", "[data][nocow][snapshot]") {
  auto fs = make_fs();
  run_in_fiber([&] {
    btrfs_inode& inode = create_file(*fs, "n", true);
    MUST(btrfs_buffered_write(*fs, inode, 0, pattern_bytes(1, 0, 16 * K), "write n"));
    MUST(btrfs_sync_fs(*fs));
    const uint64_t x = file_extents(*fs, inode).at(0).fi.disk_bytenr;
    uint64_t snap = 0;
    MUST(btrfs_ioctl_snap_create(*fs, kFsTree, kFsTree, "snap", true, &snap));
    MUST(btrfs_buffered_write(*fs, inode, 0, pattern_bytes(2, 0, 4 * K), "overwrite n"));
    MUST(btrfs_sync_fs(*fs));
    const auto items = file_extents(*fs, inode);
    REQUIRE(items.size() == 2);
    CHECK(items[0].fi.disk_bytenr != x);  // btrfs_cross_ref_exist: shared with the snapshot
    CHECK(disk_bytes(*fs, x, 4 * K) == pattern_bytes(1, 0, 4 * K));  // the snapshot's data is intact
    btrfs_iput(*fs, inode);
  });
  CHECK(btrfs_check(*fs).empty());
  CHECK(btrfs_check_data_against_oracle(*fs).empty());
}
