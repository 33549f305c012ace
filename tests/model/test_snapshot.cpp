// Snapshot and subvolume creation: what the trees hold afterwards, sharing with the source, fsck.
#include <catch2/catch.hpp>

#include <cerrno>

#include "model/maint/snapshot.hpp"
#include "model/maint/snapshot_internal.hpp"
#include "tests/model/test_send_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using fsrace::test::make_fs;
using fsrace::test::run_in_fiber;

namespace {

bool has_item(btrfs_fs_info& fs, btrfs_root& root, const btrfs_key& key, item_value* out = nullptr) {
  return btrfs_lookup_item(fs, root, key, out) == 0;
}

}  // namespace

TEST_CASE("a read-only snapshot copies the source's root node and shares the rest with fsck clean",
          "[model][snapshot]") {
  auto fs = make_fs();
  uint64_t snap = 0;
  run_in_fiber([&] {
    test::write_in(*fs, BTRFS_FS_TREE_OBJECTID, "a", 0, 20000, 1);
    test::write_in(*fs, BTRFS_FS_TREE_OBJECTID, "b", 4096, 8192, 2);
    // No sync: the snapshot flushes delalloc itself, so the source has blocks of the running
    // transaction when it is copied.
    snap = test::snapshot(*fs, BTRFS_FS_TREE_OBJECTID, "snap");
  });
  CHECK(btrfs_check(*fs).empty());
  btrfs_root* src = fs->get_fs_root(BTRFS_FS_TREE_OBJECTID);
  btrfs_root* s = fs->get_fs_root(snap);
  REQUIRE(s);
  CHECK(snap == BTRFS_FIRST_FREE_OBJECTID);
  CHECK(s->is_readonly());
  CHECK(!src->is_readonly());
  CHECK(s->node != src->node);
  CHECK(src->root_item.last_snapshot > 0);
  CHECK(s->root_item.last_snapshot == src->root_item.last_snapshot);
  CHECK(s->commit_root == s->node);  // committed by the ioctl
  CHECK(fs->root_send_info.at(snap).parent_uuid == BTRFS_FS_TREE_OBJECTID);
  // Root item, ROOT_REF / ROOT_BACKREF, the entry in the parent's top directory.
  item_value v;
  CHECK(has_item(*fs, fs->tree_root(), {snap, BTRFS_ROOT_ITEM_KEY, 0}, &v));
  CHECK(std::get<btrfs_root_item>(v).flags & BTRFS_ROOT_SUBVOL_RDONLY);
  CHECK(has_item(*fs, fs->tree_root(), {BTRFS_FS_TREE_OBJECTID, BTRFS_ROOT_REF_KEY, snap}));
  CHECK(has_item(*fs, fs->tree_root(), {snap, BTRFS_ROOT_BACKREF_KEY, BTRFS_FS_TREE_OBJECTID}));
  REQUIRE(has_item(*fs, *src, {BTRFS_FIRST_FREE_OBJECTID, BTRFS_DIR_ITEM_KEY, btrfs_name_hash("snap")}, &v));
  CHECK(std::get<btrfs_dir_item>(v).location == btrfs_key{snap, BTRFS_ROOT_ITEM_KEY, ~0ull});
  // The snapshot has the files (and not its own entry).
  auto content = btrfs_subvol_content(*fs, snap, nullptr);
  REQUIRE(content.paths.count("a"));
  CHECK(content.inodes.at(content.paths.at("a")).data == test::pattern(1, 0, 20000));
  CHECK(!content.paths.count("snap"));
}

TEST_CASE("writes to the source after a snapshot leave the snapshot unchanged and fsck clean", "[model][snapshot]") {
  mkfs_options o;
  o.nodesize = 4096;  // several leaves and a node: shared and unshared COW paths both run
  auto fs = make_fs(o);
  uint64_t snap = 0;
  received_subvol before;
  run_in_fiber([&] {
    for (int i = 0; i < 30; ++i) test::write_in(*fs, BTRFS_FS_TREE_OBJECTID, "f" + std::to_string(i), 0, 4096, i);
    snap = test::snapshot(*fs, BTRFS_FS_TREE_OBJECTID, "snap");
    before = btrfs_subvol_content(*fs, snap, nullptr);
    test::write_in(*fs, BTRFS_FS_TREE_OBJECTID, "f3", 0, 8192, 100);
    test::write_in(*fs, BTRFS_FS_TREE_OBJECTID, "new", 0, 4096, 101);
    REQUIRE(btrfs_unlink(*fs, BTRFS_FS_TREE_OBJECTID, "f7") == 0);
    REQUIRE(btrfs_sync_fs(*fs) == 0);
  });
  INFO(test::join_lines(btrfs_check(*fs)));
  CHECK(btrfs_check(*fs).empty());
  CHECK(fs->get_fs_root(snap)->level >= 1);
  auto after = btrfs_subvol_content(*fs, snap, nullptr);
  CHECK(compare_received(after, before).empty());
  auto src = btrfs_subvol_content(*fs, BTRFS_FS_TREE_OBJECTID, nullptr);
  CHECK(src.paths.count("new"));
  CHECK(!src.paths.count("f7"));
  CHECK(after.paths.count("f7"));
}

TEST_CASE("a writable snapshot is an independent subvolume for the data paths", "[model][snapshot]") {
  auto fs = make_fs();
  uint64_t snap = 0;
  run_in_fiber([&] {
    test::write_in(*fs, BTRFS_FS_TREE_OBJECTID, "a", 0, 8192, 1);
    snap = test::snapshot(*fs, BTRFS_FS_TREE_OBJECTID, "rw", false);
    CHECK(!fs->get_fs_root(snap)->is_readonly());
    CHECK(btrfs_lookup_name(*fs, snap, "a") != 0);
    test::write_in(*fs, snap, "a", 0, 4096, 9);  // overwrite in the snapshot only
    test::write_in(*fs, snap, "only-in-snap", 0, 4096, 10);
    REQUIRE(btrfs_sync_fs(*fs) == 0);
  });
  CHECK(btrfs_check(*fs).empty());
  auto s = btrfs_subvol_content(*fs, snap, nullptr);
  auto src = btrfs_subvol_content(*fs, BTRFS_FS_TREE_OBJECTID, nullptr);
  CHECK(s.inodes.at(s.paths.at("a")).data != src.inodes.at(src.paths.at("a")).data);
  CHECK(src.inodes.at(src.paths.at("a")).data == test::pattern(1, 0, 8192));
  CHECK(s.paths.count("only-in-snap"));
  CHECK(!src.paths.count("only-in-snap"));
}

TEST_CASE("subvolume creation makes an empty subvolume with its top directory and checks names", "[model][snapshot]") {
  auto fs = make_fs();
  run_in_fiber([&] {
    uint64_t id = 0;
    REQUIRE(btrfs_ioctl_subvol_create(*fs, BTRFS_FS_TREE_OBJECTID, "sv", &id) == 0);
    CHECK(fs->get_fs_root(id) != nullptr);
    CHECK(btrfs_ioctl_subvol_create(*fs, BTRFS_FS_TREE_OBJECTID, "sv", nullptr) == -EEXIST);
    CHECK(btrfs_ioctl_subvol_create(*fs, 999, "x", nullptr) == -ENOENT);
    CHECK(btrfs_ioctl_subvol_create(*fs, BTRFS_FS_TREE_OBJECTID, "a/b", nullptr) == -EINVAL);
    CHECK(btrfs_ioctl_snap_create(*fs, 999, BTRFS_FS_TREE_OBJECTID, "s", true, nullptr) == -ENOENT);
    CHECK(btrfs_ioctl_snap_create(*fs, BTRFS_FS_TREE_OBJECTID, BTRFS_FS_TREE_OBJECTID, "sv", true, nullptr) == -EEXIST);
    test::write_in(*fs, id, "f", 0, 4096, 3);
    REQUIRE(btrfs_sync_fs(*fs) == 0);
    auto c = btrfs_subvol_content(*fs, id, nullptr);
    CHECK(c.paths.size() == 2);  // top directory and f
    CHECK(c.inodes.at(c.paths.at("f")).data == test::pattern(3, 0, 4096));
  });
  CHECK(btrfs_check(*fs).empty());
}
