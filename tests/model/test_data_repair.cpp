// Data checksums on read: a bad copy is repaired from a good mirror; with no good copy the read
// fails and the data oracle reports the loss.
#include <catch2/catch.hpp>

#include <algorithm>

#include "model/data/data_check.hpp"
#include "model/data/ordered_data.hpp"
#include "model/fsck.hpp"
#include "tests/model/test_data_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test;

namespace {

bool logged(const btrfs_fs_info& fs, const std::string& needle) {
  return std::any_of(fs.dmesg.begin(), fs.dmesg.end(), [&](const std::string& l) { return l.find(needle) != std::string::npos; });
}

// Writes 16KiB to a new file "a", syncs, corrupts the first sector of mirror `bad_mirror`, and reads
// the file back with O_DIRECT.
struct corrupted_read {
  int64_t ret = 0;
  std::vector<uint8_t> got;
  uint64_t bytenr = 0;
};
corrupted_read write_corrupt_read(btrfs_fs_info& fs, int bad_mirror, bool nodatacow = false) {
  corrupted_read out;
  btrfs_inode& inode = create_file(fs, "a", nodatacow);
  MUST(btrfs_buffered_write(fs, inode, 0, pattern_bytes(9, 0, 16384), "write a"));
  MUST(btrfs_sync_fs(fs));
  out.bytenr = file_extents(fs, inode).at(0).fi.disk_bytenr;
  corrupt_mirror(fs, out.bytenr, 4096, bad_mirror, 0xab);
  out.ret = btrfs_file_read(fs, inode, 0, 16384, true, out.got);
  btrfs_iput(fs, inode);
  return out;
}

}  // namespace

TEST_CASE("a checksum mismatch on one raid1 copy is repaired from the other", "[data][csum][repair]") {
  mkfs_options o;
  o.device_sizes = {1ull << 30, 1ull << 30};
  o.data_profile = "raid1";
  auto fs = make_fs(o);
  run_in_fiber([&] {
    // Reads are served by the first mirror (btrfs_map_block with mirror 0): corrupt that one.
    auto r = write_corrupt_read(*fs, 1);
    CHECK(r.ret == 16384);
    CHECK(r.got == pattern_bytes(9, 0, 16384));
    CHECK(fs->data_stats.read_repairs == 1);
    // repair_io_failure rewrote the bad copy; the good one was never touched.
    CHECK(read_mirror(*fs, r.bytenr, 4096, 1) == pattern_bytes(9, 0, 4096));
    CHECK(read_mirror(*fs, r.bytenr, 4096, 2) == pattern_bytes(9, 0, 4096));
  });
  CHECK(logged(*fs, "csum failed"));
  CHECK(logged(*fs, "read error corrected"));
  CHECK(btrfs_check_data_against_oracle(*fs).empty());
}

TEST_CASE("raid1 with both copies bad fails the read with EIO", "[data][csum][repair]") {
  mkfs_options o;
  o.device_sizes = {1ull << 30, 1ull << 30};
  o.data_profile = "raid1";
  auto fs = make_fs(o);
  run_in_fiber([&] {
    btrfs_inode& inode = create_file(*fs, "a");
    MUST(btrfs_buffered_write(*fs, inode, 0, pattern_bytes(9, 0, 8192), "write a"));
    MUST(btrfs_sync_fs(*fs));
    const uint64_t x = file_extents(*fs, inode).at(0).fi.disk_bytenr;
    corrupt_mirror(*fs, x + 4096, 4096, 1, 0x11);
    corrupt_mirror(*fs, x + 4096, 4096, 2, 0x22);
    std::vector<uint8_t> got;
    const int64_t n = btrfs_file_read(*fs, inode, 0, 8192, true, got);
    CHECK(n == -EIO);
    CHECK(fs->data_stats.read_repairs == 0);
    btrfs_iput(*fs, inode);
  });
  const auto problems = btrfs_check_data_against_oracle(*fs);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("offset 4096") != std::string::npos);
}

TEST_CASE("dup data on one device is repaired from its second copy", "[data][csum][repair]") {
  mkfs_options o;
  o.device_sizes = {1ull << 30};
  o.data_profile = "dup";
  auto fs = make_fs(o);
  run_in_fiber([&] {
    auto r = write_corrupt_read(*fs, 1);
    CHECK(r.ret == 16384);
    CHECK(r.got == pattern_bytes(9, 0, 16384));
    CHECK(fs->data_stats.read_repairs == 1);
  });
  CHECK(btrfs_check_data_against_oracle(*fs).empty());
}

TEST_CASE("single data with a bad copy: the read fails and the oracle names the lost data", "[data][csum][oracle]") {
  auto fs = make_fs();  // data single
  run_in_fiber([&] {
    auto r = write_corrupt_read(*fs, 1);
    CHECK(r.ret == -EIO);
  });
  const auto problems = btrfs_check_data_against_oracle(*fs);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("lost data: file a") != std::string::npos);
  CHECK(problems[0].find("offset 0") != std::string::npos);
  CHECK(problems[0].find("write a") != std::string::npos);
  CHECK(problems[0].find("made durable") != std::string::npos);
}

TEST_CASE("nodatasum data has no checksum: corruption is returned and only the oracle sees it", "[data][oracle]") {
  auto fs = make_fs();
  run_in_fiber([&] {
    auto r = write_corrupt_read(*fs, 1, true);
    CHECK(r.ret == 16384);
    CHECK(std::all_of(r.got.begin(), r.got.begin() + 4096, [](uint8_t b) { return b == 0xab; }));
  });
  const auto problems = btrfs_check_data_against_oracle(*fs);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("offset 0 len 4096: read returned other bytes") != std::string::npos);
}
