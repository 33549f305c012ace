// Clone and dedupe (model/data/reflink.cpp): shared extents with a data reference per file, fsck
// clean, the data oracle following the clone, -EBADE for unequal dedupe ranges, snapshots as
// destinations.
#include <catch2/catch.hpp>

#include <cerrno>

#include "model/data/data_check.hpp"
#include "model/data/data_oracle.hpp"
#include "model/data/reflink.hpp"
#include "model/fsck.hpp"
#include "tests/model/test_data_fixture.hpp"
#include "tests/model/test_send_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using fsrace::test::make_fs;
using fsrace::test::run_in_fiber;

namespace {

// The data references of the extent at `bytenr` in the committed extent tree, as (root, ino, offset).
std::vector<btrfs_extent_inline_ref> data_refs(btrfs_fs_info& fs, uint64_t bytenr) {
  std::vector<btrfs_extent_inline_ref> out;
  btrfs_for_each_item(fs, fs.extent_root(), {bytenr, 0, 0}, [&](const btrfs_item& item) {
    if (item.key.objectid != bytenr) return false;
    if (item.key.type == BTRFS_EXTENT_ITEM_KEY)
      for (const auto& r : std::get<btrfs_extent_item>(item.value).inline_refs)
        if (r.type == BTRFS_EXTENT_DATA_REF_KEY) out.push_back(r);
    return true;
  });
  return out;
}

std::vector<uint8_t> read_all(btrfs_fs_info& fs, btrfs_inode& inode, uint64_t pos, uint64_t len) {
  std::vector<uint8_t> out;
  test::must(btrfs_file_read(fs, inode, pos, len, false, out), "btrfs_file_read");
  return out;
}

}  // namespace

TEST_CASE("clone shares the source's extents: a data reference per file, fsck and the oracle clean",
          "[model][reflink]") {
  auto fs = make_fs();
  std::vector<uint8_t> got;
  int64_t ret = 0;
  run_in_fiber([&] {
    btrfs_inode& a = test::create_file(*fs, "a");
    btrfs_inode& b = test::create_file(*fs, "b");
    MUST(btrfs_buffered_write(*fs, a, 0, test::pattern_bytes(7, 0, 64 << 10), "write a"));
    MUST(btrfs_buffered_write(*fs, b, 0, test::pattern_bytes(9, 0, 16 << 10), "write b"));
    // Dirty pages of the source are written back by the clone itself (btrfs_remap_file_range_prep).
    ret = btrfs_remap_file_range(*fs, a, 16 << 10, b, 8 << 10, 32 << 10, false, "clone a->b");
    got = read_all(*fs, b, 0, 64 << 10);
    MUST(btrfs_sync_fs(*fs));
  });
  CHECK(ret == (32 << 10));
  btrfs_inode& a = *btrfs_iget(*fs, test::kFsTree, btrfs_lookup_name(*fs, test::kFsTree, "a"));
  btrfs_inode& b = *btrfs_iget(*fs, test::kFsTree, btrfs_lookup_name(*fs, test::kFsTree, "b"));
  CHECK(b.i_size == (40 << 10));  // grown to the end of the clone
  // b: its own first 8 KiB, then a's bytes 16..48 KiB.
  auto want = test::pattern_bytes(9, 0, 8 << 10);
  auto from_a = test::pattern_bytes(7, 16 << 10, 32 << 10);
  want.insert(want.end(), from_a.begin(), from_a.end());
  CHECK(got == want);
  // b's item for the clone points into a's extent with data offset 16 KiB; the extent has two refs.
  const auto ea = test::file_extents(*fs, a);
  const auto eb = test::file_extents(*fs, b);
  REQUIRE(ea.size() == 1);
  const auto cloned = std::find_if(eb.begin(), eb.end(), [&](const file_extent& fe) { return fe.key_offset == (8 << 10); });
  REQUIRE(cloned != eb.end());
  CHECK(cloned->fi.disk_bytenr == ea[0].fi.disk_bytenr);
  CHECK(cloned->fi.offset == (16 << 10));
  CHECK(cloned->fi.num_bytes == (32 << 10));
  const auto refs = data_refs(*fs, ea[0].fi.disk_bytenr);
  REQUIRE(refs.size() == 2);
  CHECK(((refs[0].objectid == a.ino && refs[1].objectid == b.ino) || (refs[0].objectid == b.ino && refs[1].objectid == a.ino)));
  for (const auto& r : refs) CHECK(r.offset == (r.objectid == a.ino ? uint64_t(0) : uint64_t(8 << 10) - uint64_t(16 << 10)));
  INFO(test::join_lines(btrfs_check(*fs)));
  CHECK(btrfs_check(*fs).empty());
  INFO(test::join_lines(btrfs_check_data_against_oracle(*fs)));
  CHECK(btrfs_check_data_against_oracle(*fs).empty());
  CHECK(b.nbytes == (40 << 10));  // 16 KiB own extent (8 KiB of it dropped) + 32 KiB shared
}

TEST_CASE("the clone of a file's unaligned end grows the destination to exactly the source's size",
          "[model][reflink]") {
  auto fs = make_fs();
  int64_t ret = 0;
  run_in_fiber([&] {
    btrfs_inode& a = test::create_file(*fs, "a");
    btrfs_inode& b = test::create_file(*fs, "b");
    MUST(btrfs_buffered_write(*fs, a, 0, test::pattern_bytes(3, 0, 10000), "write a"));
    ret = btrfs_remap_file_range(*fs, a, 0, b, 0, 0, false, "clone all of a");
    MUST(btrfs_sync_fs(*fs));
  });
  CHECK(ret == 10000);
  CHECK(btrfs_iget(*fs, test::kFsTree, btrfs_lookup_name(*fs, test::kFsTree, "b"))->i_size == 10000);
  CHECK(btrfs_check(*fs).empty());
  CHECK(btrfs_check_data_against_oracle(*fs).empty());
}

TEST_CASE("the data oracle follows clones: a lost clone is reported, not hidden", "[model][reflink]") {
  auto fs = make_fs();
  run_in_fiber([&] {
    btrfs_inode& a = test::create_file(*fs, "a");
    btrfs_inode& b = test::create_file(*fs, "b");
    MUST(btrfs_buffered_write(*fs, a, 0, test::pattern_bytes(5, 0, 16 << 10), "write a"));
    MUST(btrfs_buffered_write(*fs, b, 0, test::pattern_bytes(6, 0, 16 << 10), "write b"));
    MUST(btrfs_remap_file_range(*fs, a, 0, b, 0, 16 << 10, false, "clone a->b"));
    MUST(btrfs_sync_fs(*fs));
  });
  REQUIRE(btrfs_check_data_against_oracle(*fs).empty());
  // Point b's item back at an extent holding other bytes: the oracle expects a's bytes in b.
  btrfs_inode& b = *btrfs_iget(*fs, test::kFsTree, btrfs_lookup_name(*fs, test::kFsTree, "b"));
  oracle_write(*fs, b, 0, test::pattern_bytes(6, 0, 4096), oracle_note_op(*fs, "not what the clone left"));
  const auto problems = btrfs_check_data_against_oracle(*fs);
  REQUIRE(problems.size() == 1);
  CHECK_THAT(problems[0], Catch::Contains("lost data: file b") && Catch::Contains("offset 0 len 4096"));
}

TEST_CASE("dedupe of unequal ranges returns -EBADE and changes nothing, of equal ranges it shares the extent",
          "[model][reflink]") {
  auto fs = make_fs();
  int64_t differ = 0, same = 0;
  std::vector<file_extent> before, after;
  run_in_fiber([&] {
    btrfs_inode& a = test::create_file(*fs, "a");
    btrfs_inode& b = test::create_file(*fs, "b");
    MUST(btrfs_buffered_write(*fs, a, 0, test::pattern_bytes(5, 0, 32 << 10), "write a"));
    MUST(btrfs_buffered_write(*fs, b, 0, test::pattern_bytes(5, 0, 16 << 10), "write b same"));
    MUST(btrfs_buffered_write(*fs, b, 16 << 10, test::pattern_bytes(8, 16 << 10, 16 << 10), "write b other"));
    MUST(btrfs_sync_fs(*fs));
    before = test::file_extents(*fs, b);
    differ = btrfs_remap_file_range(*fs, a, 0, b, 0, 32 << 10, true, "dedupe all");
    after = test::file_extents(*fs, b);
    same = btrfs_remap_file_range(*fs, a, 0, b, 0, 16 << 10, true, "dedupe first half");
    MUST(btrfs_sync_fs(*fs));
  });
  CHECK(differ == -EBADE);
  REQUIRE(before.size() == after.size());
  for (size_t i = 0; i < before.size(); ++i) {
    CHECK(before[i].key_offset == after[i].key_offset);
    CHECK(before[i].fi.disk_bytenr == after[i].fi.disk_bytenr);
  }
  CHECK(same == (16 << 10));
  btrfs_inode& a = *btrfs_iget(*fs, test::kFsTree, btrfs_lookup_name(*fs, test::kFsTree, "a"));
  btrfs_inode& b = *btrfs_iget(*fs, test::kFsTree, btrfs_lookup_name(*fs, test::kFsTree, "b"));
  CHECK(test::file_extents(*fs, b).front().fi.disk_bytenr == test::file_extents(*fs, a).front().fi.disk_bytenr);
  CHECK(b.i_size == (32 << 10));
  CHECK(btrfs_check(*fs).empty());
  CHECK(btrfs_check_data_against_oracle(*fs).empty());
}

TEST_CASE("remap argument checks: alignment, overlap, past the end, read-only destination", "[model][reflink]") {
  auto fs = make_fs();
  int64_t unaligned = 0, overlap = 0, past_eof = 0, into_ro = 0, dedupe_into_ro = 0, same_file = 0;
  run_in_fiber([&] {
    btrfs_inode& a = test::create_file(*fs, "a");
    MUST(btrfs_buffered_write(*fs, a, 0, test::pattern_bytes(1, 0, 32 << 10), "write a"));
    unaligned = btrfs_remap_file_range(*fs, a, 100, a, 16 << 10, 4096, false, "unaligned");
    overlap = btrfs_remap_file_range(*fs, a, 0, a, 4096, 8192, false, "overlap");
    past_eof = btrfs_remap_file_range(*fs, a, 64 << 10, a, 0, 4096, false, "past eof");
    same_file = btrfs_remap_file_range(*fs, a, 0, a, 16 << 10, 8192, false, "same file");
    const uint64_t snap = test::snapshot(*fs, test::kFsTree, "snap", true);
    btrfs_inode& sa = *btrfs_iget(*fs, snap, btrfs_lookup_name(*fs, snap, "a"));
    into_ro = btrfs_remap_file_range(*fs, a, 0, sa, 0, 4096, false, "clone into ro");
    dedupe_into_ro = btrfs_remap_file_range(*fs, a, 0, sa, 0, 4096, true, "dedupe into ro");
    MUST(btrfs_sync_fs(*fs));
  });
  CHECK(unaligned == -EINVAL);
  CHECK(overlap == -EINVAL);
  CHECK(past_eof == -EINVAL);
  CHECK(same_file == 8192);
  CHECK(into_ro == -EROFS);
  CHECK(dedupe_into_ro == 4096);  // dedupe may change a read-only snapshot (the bytes are the same)
  CHECK(btrfs_check(*fs).empty());
  CHECK(btrfs_check_data_against_oracle(*fs).empty());
}

TEST_CASE("clone into a writable snapshot's file: the snapshot reads the clone, the source keeps its data",
          "[model][reflink][snapshot]") {
  auto fs = make_fs();
  uint64_t snap = 0;
  std::vector<uint8_t> in_snap;
  run_in_fiber([&] {
    test::write_in(*fs, test::kFsTree, "a", 0, 16 << 10, 1);
    test::write_in(*fs, test::kFsTree, "b", 0, 16 << 10, 2);
    snap = test::snapshot(*fs, test::kFsTree, "snap", false);
    btrfs_inode& a = test::open_file(*fs, "a");
    btrfs_inode& sb = *btrfs_iget(*fs, snap, btrfs_lookup_name(*fs, snap, "b"));
    MUST(btrfs_remap_file_range(*fs, a, 0, sb, 4096, 8192, false, "clone a into snap/b"));
    in_snap = read_all(*fs, sb, 0, 16 << 10);
    MUST(btrfs_sync_fs(*fs));
  });
  auto want = test::pattern(2, 0, 16 << 10);
  auto from_a = test::pattern(1, 0, 8192);
  std::copy(from_a.begin(), from_a.end(), want.begin() + 4096);
  CHECK(in_snap == want);
  const auto content = btrfs_subvol_content(*fs, snap, nullptr);
  CHECK(content.inodes.at(content.paths.at("b")).data == want);
  const auto top = btrfs_subvol_content(*fs, test::kFsTree, nullptr);
  CHECK(top.inodes.at(top.paths.at("b")).data == test::pattern(2, 0, 16 << 10));
  INFO(test::join_lines(btrfs_check(*fs)));
  CHECK(btrfs_check(*fs).empty());
  CHECK(btrfs_check_data_against_oracle(*fs).empty());
}
