// Freeing data: truncate and unlink drop references through delayed refs (extent items go at the
// next commit), eviction waits for the last user, and dirty data of an unlinked file is never written.
#include <catch2/catch.hpp>

#include "model/block_group.hpp"
#include "model/data/data_check.hpp"
#include "model/data/file_item.hpp"
#include "model/fsck.hpp"
#include "tests/model/test_data_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test;

namespace {

uint64_t data_used(btrfs_fs_info& fs) {
  uint64_t used = 0;
  for (auto& [start, bg] : fs.block_group_cache_tree)
    if (bg->flags & BTRFS_BLOCK_GROUP_DATA) used += bg->used;
  return used;
}

}  // namespace

TEST_CASE("truncate frees extents past the new size through delayed refs", "[data][truncate]") {
  auto fs = make_fs();
  run_in_fiber([&] {
    btrfs_inode& inode = create_file(*fs, "a");
    const auto before = write_two_extents(*fs, inode);
    const uint64_t used = data_used(*fs);
    const btrfs_key second{before[1].fi.disk_bytenr, BTRFS_EXTENT_ITEM_KEY, before[1].fi.disk_num_bytes};
    REQUIRE(in_current_root(*fs, fs->extent_root(), second));

    MUST(btrfs_setsize(*fs, inode, 10000, "truncate a"));
    CHECK(inode.i_size == 10000);
    const auto after = file_extents(*fs, inode);
    REQUIRE(after.size() == 1);
    CHECK(after[0].fi.num_bytes == 12288);  // the straddling extent is trimmed to whole sectors
    // The second extent's reference is dropped as a delayed ref: its item goes at commit.
    CHECK(in_current_root(*fs, fs->extent_root(), second));
    MUST(btrfs_commit_current(*fs));
    CHECK_FALSE(in_current_root(*fs, fs->extent_root(), second));
    CHECK(data_used(*fs) == used - 16384);
    CHECK(btrfs_lookup_csums_range(*fs, second.objectid, second.objectid + 16384).empty());
    std::vector<uint8_t> got;
    const int64_t n = btrfs_file_read(*fs, inode, 0, 1 << 20, true, got);
    CHECK(n == 10000);
    btrfs_iput(*fs, inode);
  });
  CHECK(btrfs_check(*fs).empty());
  CHECK(btrfs_check_data_against_oracle(*fs).empty());
}

TEST_CASE("unlink evicts the inode when its last user lets go", "[data][unlink]") {
  auto fs = make_fs();
  run_in_fiber([&] {
    btrfs_inode& inode = create_file(*fs, "a");  // holds a reference, like an open file
    MUST(btrfs_buffered_write(*fs, inode, 0, pattern_bytes(1, 0, 16384), "write a"));
    MUST(btrfs_sync_fs(*fs));
    const uint64_t used = data_used(*fs);
    const btrfs_key inode_key{inode.ino, BTRFS_INODE_ITEM_KEY, 0};
    btrfs_root& root = *fs->get_fs_root(kFsTree);
    MUST(btrfs_unlink(*fs, kFsTree, "a"));
    CHECK(btrfs_lookup_name(*fs, kFsTree, "a") == 0);
    CHECK_FALSE(inode.freeing);
    CHECK(in_current_root(*fs, root, inode_key));  // still open: not evicted
    CHECK(file_extents(*fs, inode).size() == 1);
    btrfs_iput(*fs, inode);  // the last reference: btrfs_evict_inode
    CHECK(inode.evicted);
    CHECK_FALSE(in_current_root(*fs, root, inode_key));
    CHECK(file_extents(*fs, inode).empty());
    MUST(btrfs_commit_current(*fs));
    CHECK(data_used(*fs) == used - 16384);
  });
  CHECK(btrfs_check(*fs).empty());
  CHECK(btrfs_check_data_against_oracle(*fs).empty());
}

TEST_CASE("dirty data of an unlinked file is dropped and never allocated", "[data][unlink]") {
  auto fs = make_fs();
  run_in_fiber([&] {
    btrfs_inode& inode = create_file(*fs, "a");
    btrfs_iput(*fs, inode);
    btrfs_inode& again = open_file(*fs, "a");
    MUST(btrfs_buffered_write(*fs, again, 0, pattern_bytes(1, 0, 16384), "write a"));
    btrfs_iput(*fs, again);
    const uint64_t used = data_used(*fs);
    CHECK(fs->delalloc_roots == std::vector<uint64_t>{kFsTree});
    MUST(btrfs_unlink(*fs, kFsTree, "a"));  // nobody holds it: evicted right away
    CHECK(again.evicted);
    CHECK(again.mapping.pages.empty());
    CHECK(fs->delalloc_roots.empty());
    MUST(btrfs_sync_fs(*fs));
    CHECK(data_used(*fs) == used);
    CHECK(fs->data_stats.cow_extents == 0);
  });
  CHECK(btrfs_check(*fs).empty());
  CHECK(btrfs_check_data_against_oracle(*fs).empty());
}
