// Scrub on its own: a healthy filesystem has no errors; corrupted copies are found, counted and repaired
// from the good mirror (raid1 data, dup metadata); a read-only scrub counts without repairing.
#include <catch2/catch.hpp>

#include "model/data/file.hpp"
#include "model/maint/scrub.hpp"
#include "model/mkfs.hpp"
#include "tests/model/test_scrub_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test;

namespace {

std::unique_ptr<btrfs_fs_info> fs_with_file(const std::string& data_profile, uint64_t len) {
  mkfs_options o;
  o.device_sizes = {1ull << 30, 1ull << 30};
  o.data_profile = data_profile;
  auto fs = make_fs(o);
  run_in_fiber([&] {
    write_file(*fs, "a", 0, len, 7);
    REQUIRE(btrfs_sync_fs(*fs) == 0);
  });
  return fs;
}

}  // namespace

TEST_CASE("scrub of a healthy filesystem finds no errors on any device", "[model][scrub]") {
  auto fs = fs_with_file("raid1", 256 * 1024);
  for (uint64_t devid : {1, 2}) {
    btrfs_scrub_progress p;
    REQUIRE(scrub_device(*fs, devid, false, p) == 0);
    INFO("devid " << devid);
    CHECK(p.total_errors() == 0);
    CHECK(p.uncorrectable_errors == 0);
    CHECK(p.corrected_errors == 0);
    CHECK(p.no_csum == 0);
    CHECK(p.data_bytes_scrubbed == 256 * 1024);  // raid1: every device holds a copy of the file
    CHECK(p.tree_extents_scrubbed > 0);
    CHECK(fs->scrub_results.at(devid).data_bytes_scrubbed == p.data_bytes_scrubbed);
  }
  CHECK(end_state_problems(*fs).empty());
}

TEST_CASE("scrub repairs a corrupted raid1 data copy from the other mirror", "[model][scrub]") {
  auto fs = fs_with_file("raid1", 64 * 1024);
  const uint64_t logical = file_logical(*fs, "a", 8192);
  const btrfs_bio_stripe bad = mirror_of(*fs, logical, 1), good = mirror_of(*fs, logical, 2);
  REQUIRE(bad.devid != good.devid);
  const auto good_bytes = read_dev(*fs, good, SECTORSIZE);
  corrupt_sector(*fs, bad);
  REQUIRE(read_dev(*fs, bad, SECTORSIZE) != good_bytes);

  SECTION("a read-only scrub counts the error and leaves it") {
    btrfs_scrub_progress p;
    REQUIRE(scrub_device(*fs, bad.devid, true, p) == 0);
    CHECK(p.csum_errors == 1);
    CHECK(p.corrected_errors == 1);  // a good copy exists (scrub -r reports it as correctable)
    CHECK(read_dev(*fs, bad, SECTORSIZE) != good_bytes);
  }
  SECTION("a scrub repairs it; the next finds nothing") {
    btrfs_scrub_progress p;
    REQUIRE(scrub_device(*fs, bad.devid, false, p) == 0);
    CHECK(p.csum_errors == 1);
    CHECK(p.corrected_errors == 1);
    CHECK(p.uncorrectable_errors == 0);
    CHECK(read_dev(*fs, bad, SECTORSIZE) == good_bytes);
    btrfs_scrub_progress again;
    REQUIRE(scrub_device(*fs, bad.devid, false, again) == 0);
    CHECK(again.total_errors() == 0);
    CHECK(end_state_problems(*fs).empty());
    // The status shows the last scrub; the totals (what the scrub_no_errors invariant reads) keep the first's.
    CHECK(fs->scrub_results.at(bad.devid).csum_errors == 0);
    CHECK(fs->scrub_totals.at(bad.devid).csum_errors == 1);
    CHECK(fs->scrub_totals.at(bad.devid).corrected_errors == 1);
    CHECK(fs->scrub_totals.at(bad.devid).data_bytes_scrubbed == 2 * p.data_bytes_scrubbed);
    CHECK(fs->scrub_totals.count(good.devid) == 0);
  }
  SECTION("the device holding the good copy sees no error") {
    btrfs_scrub_progress p;
    REQUIRE(scrub_device(*fs, good.devid, false, p) == 0);
    CHECK(p.total_errors() == 0);
  }
}

TEST_CASE("scrub cannot repair a single-profile data sector and says so", "[model][scrub]") {
  auto fs = fs_with_file("single", 64 * 1024);
  const uint64_t logical = file_logical(*fs, "a", 0);
  const btrfs_bio_stripe at = mirror_of(*fs, logical, 1);
  corrupt_sector(*fs, at);
  btrfs_scrub_progress p;
  REQUIRE(scrub_device(*fs, at.devid, false, p) == 0);
  CHECK(p.csum_errors == 1);
  CHECK(p.uncorrectable_errors == 1);
  CHECK(p.corrected_errors == 0);
  bool logged = false;
  for (const auto& l : fs->dmesg) logged |= l.find("unable to fixup (regular) error at logical " + std::to_string(logical)) != std::string::npos;
  CHECK(logged);
}

TEST_CASE("scrub repairs a corrupted dup tree block copy", "[model][scrub]") {
  auto fs = fs_with_file("single", 4096);
  // The fs tree root: a metadata block with two copies (dup) on one device.
  const uint64_t bytenr = fs->roots.at(BTRFS_FS_TREE_OBJECTID)->commit_root;
  const btrfs_bio_stripe first = mirror_of(*fs, bytenr, 1), second = mirror_of(*fs, bytenr, 2);
  REQUIRE(first.devid == second.devid);
  REQUIRE(fs->device(first.devid)->bdev.read_tree_block(first.physical));
  corrupt_sector(*fs, first);  // the image is gone: header garbage
  REQUIRE(!fs->device(first.devid)->bdev.read_tree_block(first.physical));
  btrfs_scrub_progress p;
  REQUIRE(scrub_device(*fs, first.devid, false, p) == 0);
  CHECK(p.verify_errors == 1);
  CHECK(p.corrected_errors == 1);
  CHECK(p.uncorrectable_errors == 0);
  auto repaired = fs->device(first.devid)->bdev.read_tree_block(first.physical);
  REQUIRE(repaired);
  CHECK(repaired->header.bytenr == bytenr);
}

TEST_CASE("scrub refuses unknown devices and a second scrub of the same device", "[model][scrub]") {
  auto fs = fs_with_file("single", 4096);
  btrfs_scrub_progress p;
  CHECK(scrub_device(*fs, 9, false, p) == -ENODEV);
  // A scrub already registered on the device (dev->scrub_device) makes the next one -EINPROGRESS.
  fs->scrub_devices[1] = scrub_ctx_state{};
  CHECK(scrub_device(*fs, 1, false, p) == -EINPROGRESS);
  fs->scrub_devices.clear();
  CHECK(scrub_device(*fs, 1, false, p) == 0);
}
