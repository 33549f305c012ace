// RAID10: chunks striped over pairs of mirrored stripes, BTRFS_STRIPE_LEN at a time (volumes.c
// __btrfs_map_block, calc_stripe_length, scrub_stripe's RAID10 walk). Layout, IO split at stripe
// boundaries, data read back through the read path, scrub repair and device replace.
#include <catch2/catch.hpp>

#include "model/bio.hpp"
#include "model/data/file.hpp"
#include "model/maint/dev_replace.hpp"
#include "model/maint/scrub.hpp"
#include "model/mkfs.hpp"
#include "scheduler/prng.hpp"
#include "tests/model/test_scrub_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test;

namespace {

constexpr uint64_t KiB = 1024;

std::unique_ptr<btrfs_fs_info> raid10_fs(size_t ndevs = 4) {
  mkfs_options o;
  o.device_sizes.assign(ndevs, 1ull << 30);
  o.data_profile = "raid10";
  o.metadata_profile = "raid10";
  o.system_profile = "raid10";
  auto fs = make_fs(o);
  // The declared kernel (see test_dev_replace.cpp: a system chunk allocated during the replace needs 22ab04e814f4).
  fs->fixes = fix_set::all_on();
  return fs;
}

map_lookup_ptr data_chunk(btrfs_fs_info& fs) {
  for (auto& [start, m] : fs.mapping_tree)
    if (m->type & BTRFS_BLOCK_GROUP_DATA) return m;
  return nullptr;
}

}  // namespace

TEST_CASE("raid10 chunks stripe over every device pair and fsck agrees", "[model][volumes][raid10]") {
  auto fs = raid10_fs();
  CHECK(btrfs_check(*fs).empty());
  for (auto& [start, m] : fs->mapping_tree) {
    INFO("chunk " << start);
    CHECK((m->type & BTRFS_BLOCK_GROUP_RAID10));
    REQUIRE(m->stripes.size() == 4);
    CHECK(m->sub_stripes == 2);
    CHECK(map_num_copies(*m) == 2);
    CHECK(map_stripe_size(*m) * 2 == m->length);
    std::set<uint64_t> devids;
    for (const auto& s : m->stripes) devids.insert(fs->dev(s.dev).devid);
    CHECK(devids.size() == 4);
  }
  // Three devices: the stripe count rounds down to two (devs_increment 2), one data stripe.
  auto three = raid10_fs(3);
  CHECK(btrfs_check(*three).empty());
  for (auto& [start, m] : three->mapping_tree) CHECK(m->stripes.size() == 2);
  // One device: refused like mkfs.btrfs.
  mkfs_options o;
  o.device_sizes = {1ull << 30};
  o.data_profile = "raid10";
  std::string error;
  run_in_fiber([&] {
    try { btrfs_mkfs(o); } catch (const bad_config& e) { error = e.what(); }
  });
  CHECK(error.find("raid10 needs at least 2 devices") != std::string::npos);
}

TEST_CASE("raid10 maps 64KiB units round robin over the mirrored pairs and splits IO at their boundaries",
          "[model][volumes][raid10]") {
  auto fs = raid10_fs();
  auto m = data_chunk(*fs);
  REQUIRE(m);
  const auto st = chunk_map_of(*fs, *m).stripes;
  // Unit 0 on pair (0,1), unit 1 on pair (2,3), unit 2 on pair (0,1) one unit further down.
  CHECK(map_stripe_piece(*m, 0, 1).index == 0);
  CHECK(map_stripe_piece(*m, 0, 2).index == 1);
  CHECK(map_stripe_piece(*m, 64 * KiB, 1).index == 2);
  CHECK(map_stripe_piece(*m, 64 * KiB, 2).index == 3);
  CHECK(map_stripe_piece(*m, 64 * KiB + 4 * KiB, 1).physical == st[2].physical + 4 * KiB);
  CHECK(map_stripe_piece(*m, 64 * KiB + 4 * KiB, 1).len == 60 * KiB);
  CHECK(map_stripe_piece(*m, 128 * KiB, 1).physical == st[0].physical + 64 * KiB);
  // map_stripe_logical_offset inverts map_stripe_piece for every mirror.
  sched::Prng prng(7);
  for (int i = 0; i < 200; ++i) {
    const uint64_t off = prng.below(m->length / 4096) * 4096;
    for (int mirror = 1; mirror <= 2; ++mirror) {
      const stripe_piece p = map_stripe_piece(*m, off, mirror);
      CHECK(map_stripe_logical_offset(*m, p.index, p.physical) == off);
    }
  }
  // A 96KiB write from 32KiB: pieces [32K,64K) on pair (0,1), [64K,128K) on pair (2,3).
  std::vector<btrfs_bio_stripe> w, r;
  REQUIRE(btrfs_map_block(*fs, map_op::write, m->start + 32 * KiB, 96 * KiB, 0, w) == 0);
  REQUIRE(w.size() == 4);
  CHECK((w[0].devid == st[0].devid && w[0].physical == st[0].physical + 32 * KiB && w[0].length == 32 * KiB && w[0].offset == 0));
  CHECK((w[1].devid == st[1].devid && w[1].length == 32 * KiB));
  CHECK((w[2].devid == st[2].devid && w[2].physical == st[2].physical && w[2].length == 64 * KiB && w[2].offset == 32 * KiB));
  CHECK((w[3].devid == st[3].devid && w[3].offset == 32 * KiB));
  REQUIRE(btrfs_map_block(*fs, map_op::read, m->start + 32 * KiB, 96 * KiB, 2, r) == 0);
  REQUIRE(r.size() == 2);
  CHECK((r[0].devid == st[1].devid && r[1].devid == st[3].devid));
  // A missing device: reads go to the other mirror of its pair.
  fs->device(st[2].devid)->missing = true;
  REQUIRE(btrfs_map_block(*fs, map_op::read, m->start + 64 * KiB, 4 * KiB, 0, r) == 0);
  CHECK(r[0].devid == st[3].devid);
  CHECK(btrfs_map_block(*fs, map_op::read, m->start + 64 * KiB, 4 * KiB, 1, r) == -EIO);
}

TEST_CASE("raid10 data written across stripes reads back, lands on the right devices, survives scrub and replace",
          "[model][raid10][scrub][dev_replace]") {
  auto fs = raid10_fs();
  run_in_fiber([&] {
    write_file(*fs, "a", 0, 320 * KiB, 5);
    REQUIRE(btrfs_sync_fs(*fs) == 0);
  });
  CHECK(end_state_problems(*fs).empty());
  // Each 64KiB unit of the extent is on both devices of one pair, and on no other device.
  const uint64_t logical = file_logical(*fs, "a", 0);
  auto m = btrfs_get_chunk_map(*fs, logical);
  REQUIRE(m);
  for (uint64_t pos = 0; pos < 320 * KiB; pos += 16 * KiB) {
    std::vector<uint8_t> want(4096);
    fill_pattern(5, pos, want);
    for (int mirror = 1; mirror <= 2; ++mirror) CHECK(read_dev(*fs, mirror_of(*fs, logical + pos, mirror), 4096) == want);
  }
  SECTION("scrub of every device finds nothing; a corrupted copy is repaired from its pair") {
    uint64_t data_bytes = 0;
    for (uint64_t devid = 1; devid <= 4; ++devid) {
      btrfs_scrub_progress p;
      REQUIRE(scrub_device(*fs, devid, false, p) == 0);
      CHECK(p.total_errors() == 0);
      data_bytes += p.data_bytes_scrubbed;
    }
    CHECK(data_bytes == 2 * 320 * KiB);  // every byte twice, each copy once
    const btrfs_bio_stripe bad = mirror_of(*fs, logical + 200 * KiB, 2);
    corrupt_sector(*fs, bad);
    btrfs_scrub_progress p;
    REQUIRE(scrub_device(*fs, bad.devid, false, p) == 0);
    CHECK(p.csum_errors == 1);
    CHECK(p.corrected_errors == 1);
    CHECK(end_state_problems(*fs).empty());
  }
  SECTION("replacing a device copies its units; the files read back through the new device") {
    const uint64_t devid = GENERATE(1, 4);
    uint64_t held = 0;  // bytes of the file this device holds
    for (uint64_t pos = 0; pos < 320 * KiB; pos += 4 * KiB)
      for (int mirror = 1; mirror <= 2; ++mirror) held += mirror_of(*fs, logical + pos, mirror).devid == devid ? 4 * KiB : 0;
    CHECK((held > 0 && held < 320 * KiB));
    int ret = 1;
    run_in_fiber([&] { ret = btrfs_dev_replace_by_ioctl(*fs, devid, 1ull << 30, "new"); });
    REQUIRE(ret == 0);
    CHECK(fs->device(devid)->bdev.name() == "new");
    auto problems = end_state_problems(*fs);
    for (auto& pr : problems) UNSCOPED_INFO(pr);
    CHECK(problems.empty());
    btrfs_scrub_progress p;
    REQUIRE(scrub_device(*fs, devid, true, p) == 0);
    CHECK(p.total_errors() == 0);
    CHECK(p.data_bytes_scrubbed == held);
  }
}
