// rename (model/data/inode.cpp btrfs_rename): the name moves with its items (DIR_ITEM, DIR_INDEX,
// INODE_REF) in one transaction, a replaced target is unlinked and evicted when nobody holds it,
// and two inodes are locked in address (allocation) order, as lock_two_nondirectories does.
#include <catch2/catch.hpp>

#include <cerrno>

#include "model/block_group.hpp"
#include "model/data/data_check.hpp"
#include "model/data/inode_lock.hpp"
#include "model/fsck.hpp"
#include "scheduler/scheduler.hpp"
#include "tests/model/test_data_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test;

namespace {

std::vector<uint8_t> read_all(btrfs_fs_info& fs, btrfs_inode& inode) {
  std::vector<uint8_t> out;
  must(btrfs_file_read(fs, inode, 0, 1 << 20, false, out), "btrfs_file_read");
  return out;
}

}  // namespace

TEST_CASE("rename moves the name and its directory items, the data stays", "[data][rename]") {
  auto fs = make_fs();
  btrfs_root* root = nullptr;
  uint64_t ino = 0;
  run_in_fiber([&] {
    root = fs->get_fs_root(kFsTree);
    btrfs_inode& a = create_file(*fs, "a");
    ino = a.ino;
    MUST(btrfs_buffered_write(*fs, a, 0, pattern_bytes(1, 0, 16384), "write a"));
    MUST(btrfs_sync_fs(*fs));
    const uint64_t old_index = a.dir_index;
    MUST(btrfs_rename(*fs, kFsTree, "a", "c"));
    CHECK(btrfs_lookup_name(*fs, kFsTree, "a") == 0);
    CHECK(btrfs_lookup_name(*fs, kFsTree, "c") == ino);
    CHECK(a.name == "c");
    CHECK(a.dir_index > old_index);
    CHECK_FALSE(in_current_root(*fs, *root, {BTRFS_TOP_DIR_INO, BTRFS_DIR_INDEX_KEY, old_index}));
    CHECK(in_current_root(*fs, *root, {BTRFS_TOP_DIR_INO, BTRFS_DIR_INDEX_KEY, a.dir_index}));
    CHECK(read_all(*fs, a) == pattern_bytes(1, 0, 16384));
    // Errors and the no-op.
    CHECK(btrfs_rename(*fs, kFsTree, "a", "d") == -ENOENT);
    CHECK(btrfs_rename(*fs, kFsTree, "c", "c") == 0);
    CHECK(btrfs_rename(*fs, kFsTree, "c", std::string(256, 'x')) == -ENAMETOOLONG);
    btrfs_iput(*fs, a);
    MUST(btrfs_sync_fs(*fs));
  });
  CHECK(btrfs_check(*fs).empty());  // DIR_ITEM, DIR_INDEX, INODE_REF and the directory's size agree
  CHECK(btrfs_check_data_against_oracle(*fs).empty());
}

TEST_CASE("rename over a file replaces it: the target is evicted once nobody holds it", "[data][rename]") {
  auto fs = make_fs();
  run_in_fiber([&] {
    btrfs_root& root = *fs->get_fs_root(kFsTree);
    btrfs_inode& a = create_file(*fs, "a");
    btrfs_inode& b = create_file(*fs, "b");
    MUST(btrfs_buffered_write(*fs, a, 0, pattern_bytes(1, 0, 16384), "write a"));
    MUST(btrfs_buffered_write(*fs, b, 0, pattern_bytes(2, 0, 8192), "write b"));
    MUST(btrfs_sync_fs(*fs));
    const auto b_extents = file_extents(*fs, b);
    REQUIRE(b_extents.size() == 1);
    const btrfs_key b_extent{b_extents[0].fi.disk_bytenr, BTRFS_EXTENT_ITEM_KEY, b_extents[0].fi.disk_num_bytes};
    MUST(btrfs_rename(*fs, kFsTree, "a", "b"));
    CHECK(btrfs_lookup_name(*fs, kFsTree, "b") == a.ino);
    CHECK(btrfs_lookup_name(*fs, kFsTree, "a") == 0);
    CHECK(b.nlink == 0);
    CHECK_FALSE(b.freeing);  // still open
    CHECK(read_all(*fs, b) == pattern_bytes(2, 0, 8192));  // an open unlinked file still reads
    btrfs_iput(*fs, b);  // the last reference: evicted, its extent dropped at the next commit
    CHECK(b.evicted);
    CHECK_FALSE(in_current_root(*fs, root, {b.ino, BTRFS_INODE_REF_KEY, BTRFS_TOP_DIR_INO}));
    MUST(btrfs_commit_current(*fs));
    CHECK_FALSE(in_current_root(*fs, fs->extent_root(), b_extent));
    CHECK(read_all(*fs, a) == pattern_bytes(1, 0, 16384));
    btrfs_iput(*fs, a);
    MUST(btrfs_sync_fs(*fs));
  });
  CHECK(btrfs_check(*fs).empty());
  CHECK(btrfs_check_data_against_oracle(*fs).empty());
}

TEST_CASE("two inodes lock in allocation order: lock_two_nondirectories never inverts", "[data][rename]") {
  auto fs = make_fs();
  run_in_fiber([&] {
    btrfs_inode& b = create_file(*fs, "b");
    btrfs_inode& a = create_file(*fs, "a");
    CHECK(inode_address_less(b, a));  // made first: the lower address, whatever the names or numbers
    CHECK_FALSE(inode_address_less(a, b));
    btrfs_iput(*fs, a);
    btrfs_iput(*fs, b);
  });
  // Two threads locking the same pair, passed in opposite orders, never deadlock: every interleaving.
  auto fs2 = make_fs();
  btrfs_inode* x = nullptr;
  btrfs_inode* y = nullptr;
  run_in_fiber([&] {
    x = &create_file(*fs2, "x");
    y = &create_file(*fs2, "y");
  });
  for (uint64_t seed = 0; seed < 200; ++seed) {
    sched::Scheduler s;
    int held = 0;
    s.spawn("xy", [&] {
      lock_two_nondirectories(*x, y);
      CHECK(++held == 1);
      sched::point(sched::L("holding"));
      --held;
      unlock_two_nondirectories(*x, y);
    });
    s.spawn("yx", [&] {
      lock_two_nondirectories(*y, x);
      CHECK(++held == 1);
      sched::point(sched::L("holding"));
      --held;
      unlock_two_nondirectories(*y, x);
    });
    sched::RandomStrategy r;
    const sched::Execution e = s.run(r, seed);
    INFO("seed " << seed << ": " << e.finding.message);
    REQUIRE(e.finding.kind == sched::FindingKind::None);
  }
}
