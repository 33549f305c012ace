// FIEMAP (model/data/fiemap.cpp) against 6.1.192's extent_fiemap: regular extents merged and LAST,
// delalloc, prealloc pieces, sharing through clones and snapshots, FIEMAP_FLAG_SYNC, fm_extent_count, and
// the truth behind fiemap_matches_file (model/data/fiemap_check.cpp) agreeing with it and catching a
// wrong answer.
#include <catch2/catch.hpp>

#include <cerrno>

#include "model/data/extent_shared.hpp"
#include "model/data/fiemap.hpp"
#include "model/data/fiemap_check.hpp"
#include "model/data/reflink.hpp"
#include "model/maint/snapshot.hpp"
#include "tests/model/test_data_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using fsrace::test::make_fs;
using fsrace::test::run_in_fiber;

namespace {

constexpr uint64_t K = 1024;

struct answer {
  int ret = 0;
  fiemap_extent_info fi;
  std::vector<std::string> problems;  // against the truth read right after the call
};

// FIEMAP of [start, start+len) (inside a fiber), checked against the file's truth at the end.
answer fiemap(btrfs_fs_info& fs, btrfs_inode& inode, uint64_t start = 0, uint64_t len = FIEMAP_MAX_OFFSET,
              uint32_t flags = 0, uint32_t max = 64) {
  answer a;
  a.fi.fi_flags = flags;
  a.fi.fi_extents_max = max;
  a.ret = btrfs_fiemap(fs, inode, a.fi, start, len);
  const uint64_t clamped = std::min<uint64_t>(len, MAX_LFS_FILESIZE - start);
  const uint64_t rs = start / 4096 * 4096, re = (start + clamped + 4095) / 4096 * 4096;
  a.problems = fiemap_check_result(fiemap_truth_of(fs, inode, rs, re), a.fi, rs, re);
  return a;
}

std::string text(const answer& a) {
  std::string s;
  for (const auto& fe : a.fi.extents) s += (s.empty() ? "" : "; ") + describe(fe);
  return s;
}

}  // namespace

TEST_CASE("fiemap: written extents merge into one, LAST, physical address of the data", "[model][fiemap]") {
  auto fs = make_fs();
  answer a;
  uint64_t bytenr = 0;
  run_in_fiber([&] {
    btrfs_inode& f = test::create_file(*fs, "f");
    MUST(btrfs_buffered_write(*fs, f, 0, test::pattern_bytes(1, 0, 64 * K), "w1"));
    MUST(btrfs_sync_fs(*fs));
    MUST(btrfs_buffered_write(*fs, f, 64 * K, test::pattern_bytes(1, 64 * K, 64 * K), "w2"));
    MUST(btrfs_sync_fs(*fs));
    bytenr = test::file_extents(*fs, f).at(0).fi.disk_bytenr;
    a = fiemap(*fs, f);
  });
  INFO(text(a));
  CHECK(a.ret == 0);
  CHECK(a.problems.empty());
  // Two items; merged when their extents are contiguous on disk too (first fit makes them so here).
  REQUIRE(!a.fi.extents.empty());
  CHECK(a.fi.extents.front().fe_logical == 0);
  CHECK(a.fi.extents.front().fe_physical == bytenr);
  CHECK(a.fi.extents.back().fe_flags == FIEMAP_EXTENT_LAST);
  CHECK(a.fi.extents.back().fe_logical + a.fi.extents.back().fe_length == 128 * K);
}

TEST_CASE("fiemap: dirty pages are DELALLOC and UNKNOWN without an address, FIEMAP_FLAG_SYNC writes them first",
          "[model][fiemap]") {
  auto fs = make_fs();
  answer dirty, synced;
  run_in_fiber([&] {
    btrfs_inode& f = test::create_file(*fs, "f");
    MUST(btrfs_buffered_write(*fs, f, 0, test::pattern_bytes(1, 0, 16 * K), "w"));
    dirty = fiemap(*fs, f);
    synced = fiemap(*fs, f, 0, FIEMAP_MAX_OFFSET, FIEMAP_FLAG_SYNC);
  });
  CHECK(text(dirty) == "0+16384 last,unknown,delalloc");
  CHECK(dirty.problems.empty());
  REQUIRE(synced.fi.extents.size() == 1);
  CHECK(synced.fi.extents[0].fe_flags == FIEMAP_EXTENT_LAST);
  CHECK(synced.fi.extents[0].fe_physical != 0);
  CHECK(synced.problems.empty());
}

TEST_CASE("fiemap: a prealloc extent is UNWRITTEN around the delalloc written into it", "[model][fiemap]") {
  auto fs = make_fs();
  answer a;
  uint64_t bytenr = 0;
  run_in_fiber([&] {
    btrfs_inode& f = test::create_file(*fs, "f");
    MUST(btrfs_fallocate(*fs, f, false, 0, 256 * K, "falloc"));
    MUST(btrfs_sync_fs(*fs));
    bytenr = test::file_extents(*fs, f).at(0).fi.disk_bytenr;
    MUST(btrfs_buffered_write(*fs, f, 64 * K, test::pattern_bytes(1, 64 * K, 8 * K), "w"));
    a = fiemap(*fs, f);
  });
  INFO(text(a));
  CHECK(a.problems.empty());
  REQUIRE(a.fi.extents.size() == 3);
  CHECK(a.fi.extents[0] == fiemap_extent{0, bytenr, 64 * K, FIEMAP_EXTENT_UNWRITTEN});
  CHECK(a.fi.extents[1] == fiemap_extent{64 * K, 0, 8 * K, FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_UNKNOWN});
  CHECK(a.fi.extents[2] ==
        fiemap_extent{72 * K, bytenr + 72 * K, 184 * K, FIEMAP_EXTENT_UNWRITTEN | FIEMAP_EXTENT_LAST});
}

TEST_CASE("fiemap: a prealloc extent past i_size (KEEP_SIZE) is reported and LAST", "[model][fiemap]") {
  auto fs = make_fs();
  answer a;
  run_in_fiber([&] {
    btrfs_inode& f = test::create_file(*fs, "f");
    MUST(btrfs_buffered_write(*fs, f, 0, test::pattern_bytes(1, 0, 4 * K), "w"));
    MUST(btrfs_sync_fs(*fs));
    MUST(btrfs_fallocate(*fs, f, true, 1024 * K, 128 * K, "falloc keep_size"));
    a = fiemap(*fs, f);
  });
  INFO(text(a));
  CHECK(a.problems.empty());
  REQUIRE(a.fi.extents.size() == 2);
  CHECK(a.fi.extents[0].fe_flags == 0);
  CHECK(a.fi.extents[1].fe_logical == 1024 * K);
  CHECK(a.fi.extents[1].fe_flags == (FIEMAP_EXTENT_UNWRITTEN | FIEMAP_EXTENT_LAST));
}

TEST_CASE("fiemap: SHARED for a cloned extent in both files, and for extents a snapshot holds",
          "[model][fiemap]") {
  auto fs = make_fs();
  answer before, a, b, after_snapshot, new_write;
  run_in_fiber([&] {
    btrfs_inode& fa = test::create_file(*fs, "a");
    btrfs_inode& fb = test::create_file(*fs, "b");
    MUST(btrfs_buffered_write(*fs, fa, 0, test::pattern_bytes(1, 0, 32 * K), "wa"));
    MUST(btrfs_sync_fs(*fs));
    before = fiemap(*fs, fa);
    MUST(btrfs_remap_file_range(*fs, fa, 0, fb, 0, 32 * K, false, "clone"));
    a = fiemap(*fs, fa);  // the clone's references are delayed refs of the running transaction
    b = fiemap(*fs, fb);
    MUST(btrfs_buffered_write(*fs, fb, 0, test::pattern_bytes(2, 0, 32 * K), "wb"));
    MUST(btrfs_sync_fs(*fs));  // b no longer shares a's extent
    uint64_t snap = 0;
    MUST(btrfs_ioctl_snap_create(*fs, test::kFsTree, test::kFsTree, "snap", true, &snap));
    after_snapshot = fiemap(*fs, fa);
    MUST(btrfs_buffered_write(*fs, fa, 64 * K, test::pattern_bytes(1, 64 * K, 4 * K), "wa2"));
    MUST(btrfs_sync_fs(*fs));
    new_write = fiemap(*fs, fa, 64 * K, 4 * K);
  });
  REQUIRE(before.fi.extents.size() == 1);
  CHECK(before.fi.extents[0].fe_flags == FIEMAP_EXTENT_LAST);
  REQUIRE(a.fi.extents.size() == 1);
  CHECK(a.fi.extents[0].fe_flags == (FIEMAP_EXTENT_SHARED | FIEMAP_EXTENT_LAST));
  REQUIRE(b.fi.extents.size() == 1);
  CHECK(b.fi.extents[0].fe_flags == (FIEMAP_EXTENT_SHARED | FIEMAP_EXTENT_LAST));
  CHECK(a.problems.empty());
  CHECK(b.problems.empty());
  INFO(text(after_snapshot));
  REQUIRE(!after_snapshot.fi.extents.empty());
  CHECK((after_snapshot.fi.extents[0].fe_flags & FIEMAP_EXTENT_SHARED) != 0);
  CHECK(after_snapshot.problems.empty());
  INFO(text(new_write));
  REQUIRE(new_write.fi.extents.size() == 1);
  CHECK((new_write.fi.extents[0].fe_flags & FIEMAP_EXTENT_SHARED) == 0);  // newer than the snapshot
  CHECK(new_write.problems.empty());
}

TEST_CASE("fiemap: fm_extent_count cuts the answer, 0 only counts, bad arguments", "[model][fiemap]") {
  auto fs = make_fs();
  answer cut, count;
  int einval = 0, efbig = 0, ebadr = 0;
  run_in_fiber([&] {
    btrfs_inode& f = test::create_file(*fs, "f");
    for (uint64_t i = 0; i < 3; i++) {  // three extents with holes between them
      MUST(btrfs_buffered_write(*fs, f, i * 64 * K, test::pattern_bytes(1, i * 64 * K, 4 * K), "w"));
      MUST(btrfs_sync_fs(*fs));
    }
    cut = fiemap(*fs, f, 0, FIEMAP_MAX_OFFSET, 0, 2);
    count = fiemap(*fs, f, 0, FIEMAP_MAX_OFFSET, 0, 0);
    fiemap_extent_info fi;
    einval = btrfs_fiemap(*fs, f, fi, 0, 0);
    efbig = btrfs_fiemap(*fs, f, fi, MAX_LFS_FILESIZE, 4096);
    fi.fi_flags = 0x4;  // FIEMAP_FLAG_CACHE: not supported by btrfs in 6.1
    ebadr = btrfs_fiemap(*fs, f, fi, 0, 4096);
  });
  INFO(text(cut));
  CHECK(cut.fi.extents.size() == 2);
  CHECK(cut.fi.fi_extents_mapped == 2);
  CHECK((cut.fi.extents.back().fe_flags & FIEMAP_EXTENT_LAST) == 0);
  CHECK(cut.problems.empty());
  CHECK(count.fi.extents.empty());
  CHECK(count.fi.fi_extents_mapped == 3);
  CHECK(einval == -EINVAL);
  CHECK(efbig == -EFBIG);
  CHECK(ebadr == -EBADR);
}

TEST_CASE("fiemap: a range inside the file gets no LAST while data follows", "[model][fiemap]") {
  auto fs = make_fs();
  answer head, tail;
  run_in_fiber([&] {
    btrfs_inode& f = test::create_file(*fs, "f");
    MUST(btrfs_buffered_write(*fs, f, 0, test::pattern_bytes(1, 0, 4 * K), "w1"));
    MUST(btrfs_sync_fs(*fs));
    MUST(btrfs_buffered_write(*fs, f, 128 * K, test::pattern_bytes(1, 128 * K, 4 * K), "w2"));  // dirty
    head = fiemap(*fs, f, 0, 8 * K);
    tail = fiemap(*fs, f, 64 * K, 128 * K);
  });
  INFO(text(head) << " | " << text(tail));
  REQUIRE(head.fi.extents.size() == 1);
  CHECK(head.fi.extents[0].fe_flags == 0);  // delalloc follows up to i_size
  CHECK(head.problems.empty());
  REQUIRE(tail.fi.extents.size() == 1);
  CHECK(tail.fi.extents[0].fe_flags == (FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_LAST));
  CHECK(tail.problems.empty());
}

TEST_CASE("fiemap_check_result finds a wrong answer: stale extent, wrong address, missing SHARED, bad LAST",
          "[model][fiemap]") {
  auto fs = make_fs();
  fiemap_truth truth;
  answer a;
  run_in_fiber([&] {
    btrfs_inode& f = test::create_file(*fs, "f");
    MUST(btrfs_buffered_write(*fs, f, 0, test::pattern_bytes(1, 0, 8 * K), "w"));
    MUST(btrfs_sync_fs(*fs));
    a = fiemap(*fs, f);
    truth = fiemap_truth_of(*fs, f, 0, MAX_LFS_FILESIZE + 1);
  });
  REQUIRE(a.problems.empty());
  REQUIRE(a.fi.extents.size() == 1);
  const uint64_t re = MAX_LFS_FILESIZE + 1;
  auto wrong = a.fi;
  wrong.extents.push_back({1024 * K, 4096 * K, 1024 * K, FIEMAP_EXTENT_UNWRITTEN});  // an extent the file lacks
  CHECK(!fiemap_check_result(truth, wrong, 0, re).empty());
  wrong = a.fi;
  wrong.extents[0].fe_physical += 4096;
  CHECK(!fiemap_check_result(truth, wrong, 0, re).empty());
  wrong = a.fi;
  wrong.extents[0].fe_flags |= FIEMAP_EXTENT_SHARED;
  CHECK(!fiemap_check_result(truth, wrong, 0, re).empty());
  wrong = a.fi;
  wrong.extents[0].fe_flags &= ~FIEMAP_EXTENT_LAST;
  CHECK(!fiemap_check_result(truth, wrong, 0, re).empty());
  wrong = a.fi;
  wrong.extents.clear();
  CHECK(!fiemap_check_result(truth, wrong, 0, re).empty());
}

TEST_CASE("btrfs_join_transaction_nostart joins a running transaction and never starts one",
          "[model][fiemap]") {
  auto fs = make_fs();
  int none = 1, joined = 1;
  uint64_t transid = 0;
  run_in_fiber([&] {
    MUST(btrfs_sync_fs(*fs));
    btrfs_trans_handle h;
    none = btrfs_join_transaction_nostart(*fs, &h);
    btrfs_trans_handle started = btrfs_start_transaction(*fs);
    joined = btrfs_join_transaction_nostart(*fs, &h);
    transid = h.transid == started.transid ? h.transid : 0;
    MUST(btrfs_end_transaction(h));
    MUST(btrfs_end_transaction(started));
  });
  CHECK(none == -ENOENT);
  CHECK(joined == 0);
  CHECK(transid != 0);
}
