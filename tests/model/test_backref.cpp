// Full back references (update_ref_for_cow): a snapshot's blocks COWed away by the source keep their
// children through SHARED_BLOCK_REF / SHARED_DATA_REF; the on-disk fsck compares every back reference by
// identity; btrfs_find_all_roots / btrfs_data_ref_owners resolve them to roots.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "model/backref.hpp"
#include "model/data/file_extent.hpp"
#include "model/data/inode.hpp"
#include "model/fsck.hpp"
#include "model/maint/receive.hpp"
#include "model/maint/snapshot.hpp"
#include "tests/model/test_send_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using fsrace::test::make_fs;
using fsrace::test::run_in_fiber;

namespace {

struct extent_entry {
  btrfs_key key;
  btrfs_extent_item ei;
};

std::vector<extent_entry> extent_items(btrfs_fs_info& fs) {
  std::vector<extent_entry> out;
  btrfs_for_each_item(fs, fs.extent_root(), {0, 0, 0}, [&](const btrfs_item& it) {
    if (it.key.type == BTRFS_EXTENT_ITEM_KEY || it.key.type == BTRFS_METADATA_ITEM_KEY)
      out.push_back({it.key, std::get<btrfs_extent_item>(it.value)});
    return true;
  });
  return out;
}

size_t count_refs(const std::vector<extent_entry>& v, uint8_t type) {
  size_t n = 0;
  for (const auto& e : v)
    n += size_t(std::count_if(e.ei.inline_refs.begin(), e.ei.inline_refs.end(), [&](const auto& r) { return r.type == type; }));
  return n;
}

}  // namespace

TEST_CASE("the source COWing blocks it shares with a snapshot turns them to full back references", "[model][backref]") {
  mkfs_options o;
  o.nodesize = 4096;  // a node and many leaves: the source COWs shared leaves below its root
  auto fs = make_fs(o);
  uint64_t snap = 0;
  run_in_fiber([&] {
    for (int i = 0; i < 30; ++i) test::write_in(*fs, BTRFS_FS_TREE_OBJECTID, "f" + std::to_string(i), 0, 4096, i);
    snap = test::snapshot(*fs, BTRFS_FS_TREE_OBJECTID, "snap", false);
    // The snapshot's entry in the source's top directory already COWed the leaf holding it (as
    // create_pending_snapshot links it after btrfs_copy_root).
    test::write_in(*fs, BTRFS_FS_TREE_OBJECTID, "f3", 0, 8192, 100);
    REQUIRE(btrfs_sync_fs(*fs) == 0);
  });
  REQUIRE(fs->get_fs_root(snap)->level >= 1);
  const auto items = extent_items(*fs);
  // The leaf holding f3 was COWed by its owner while the snapshot used it: it now references its data
  // extents as their parent, and its extent item says so.
  std::vector<uint64_t> full;
  for (const auto& e : items)
    if (e.ei.flags & BTRFS_BLOCK_FLAG_FULL_BACKREF) full.push_back(e.key.objectid);
  REQUIRE(!full.empty());
  CHECK(count_refs(items, BTRFS_SHARED_DATA_REF_KEY) > 0);
  INFO(test::join_lines(btrfs_check_committed(*fs, fsck_scope::filesystem)));
  CHECK(btrfs_check_committed(*fs, fsck_scope::filesystem).empty());
  CHECK(btrfs_check(*fs).empty());
  // Only the snapshot still reaches an old leaf of the source.
  std::vector<uint64_t> roots;
  run_in_fiber([&] { roots = btrfs_find_all_roots(*fs, full.back(), false); });
  CHECK(roots == std::vector<uint64_t>{snap});
  // f0's data extent is referenced by the snapshot's leaf (shared, as its parent) and by the source's
  // copy of it (by root): both resolve to (root, inode, offset).
  std::vector<data_ref_owner> owners;
  uint64_t ino = 0;
  run_in_fiber([&] {
    ino = btrfs_lookup_name(*fs, BTRFS_FS_TREE_OBJECTID, "f0");
    REQUIRE(ino != 0);
    const auto fe = btrfs_lookup_file_extents(*fs, *fs->get_fs_root(BTRFS_FS_TREE_OBJECTID), ino, 0, ~0ull);
    REQUIRE(fe.size() == 1);
    item_value v;
    REQUIRE(btrfs_lookup_item(*fs, fs->extent_root(), {fe[0].fi.disk_bytenr, BTRFS_EXTENT_ITEM_KEY, fe[0].fi.disk_num_bytes},
                              &v) == 0);
    owners = btrfs_data_ref_owners(*fs, fe[0].fi.disk_bytenr, std::get<btrfs_extent_item>(v), false);
  });
  const std::vector<data_ref_owner> want{{BTRFS_FS_TREE_OBJECTID, ino, 0}, {snap, ino, 0}};
  CHECK(owners == want);
}

TEST_CASE("the snapshot COWing a block only it still uses moves the full back references to its copy",
          "[model][backref]") {
  mkfs_options o;
  o.nodesize = 4096;
  auto fs = make_fs(o);
  uint64_t snap = 0;
  run_in_fiber([&] {
    for (int i = 0; i < 30; ++i) test::write_in(*fs, BTRFS_FS_TREE_OBJECTID, "f" + std::to_string(i), 0, 4096, i);
    snap = test::snapshot(*fs, BTRFS_FS_TREE_OBJECTID, "snap", false);
    for (int i = 0; i < 30; i += 3)  // the source COWs every leaf away
      test::write_in(*fs, BTRFS_FS_TREE_OBJECTID, "f" + std::to_string(i), 0, 4096, 100 + i);
    REQUIRE(btrfs_sync_fs(*fs) == 0);
    REQUIRE(count_refs(extent_items(*fs), BTRFS_SHARED_DATA_REF_KEY) > 0);
    for (int i = 0; i < 30; ++i)  // then the snapshot COWs them too
      test::write_in(*fs, snap, "f" + std::to_string(i), 4096, 4096, 200 + i);
    REQUIRE(btrfs_sync_fs(*fs) == 0);
  });
  const auto items = extent_items(*fs);
  // Every leaf with a file's data has one user again: no full back reference is left. A block still
  // flagged is one the snapshot never changed (its top directory's entries), and only it reaches it.
  CHECK(count_refs(items, BTRFS_SHARED_BLOCK_REF_KEY) == 0);
  CHECK(count_refs(items, BTRFS_SHARED_DATA_REF_KEY) == 0);
  for (const auto& e : items) {
    if (!(e.ei.flags & BTRFS_BLOCK_FLAG_FULL_BACKREF)) continue;
    std::vector<uint64_t> roots;
    run_in_fiber([&] { roots = btrfs_find_all_roots(*fs, e.key.objectid, false); });
    CHECK(roots == std::vector<uint64_t>{snap});
  }
  INFO(test::join_lines(btrfs_check_committed(*fs, fsck_scope::filesystem)));
  CHECK(btrfs_check_committed(*fs, fsck_scope::filesystem).empty());
  CHECK(btrfs_check(*fs).empty());
}

TEST_CASE("the on-disk fsck names a back reference of the wrong kind", "[model][backref][fsck]") {
  mkfs_options o;
  o.nodesize = 4096;
  auto fs = make_fs(o);
  run_in_fiber([&] {
    for (int i = 0; i < 30; ++i) test::write_in(*fs, BTRFS_FS_TREE_OBJECTID, "f" + std::to_string(i), 0, 4096, i);
    test::snapshot(*fs, BTRFS_FS_TREE_OBJECTID, "snap", false);
    test::write_in(*fs, BTRFS_FS_TREE_OBJECTID, "f3", 0, 8192, 100);
    REQUIRE(btrfs_sync_fs(*fs) == 0);
  });
  // Clear FULL_BACKREF on a leaf that is the parent of a data extent's shared reference: its pointers
  // now need references by root, which its data extents lack.
  const auto items = extent_items(*fs);
  uint64_t parent = 0;
  for (const auto& e : items)
    for (const auto& r : e.ei.inline_refs)
      if (r.type == BTRFS_SHARED_DATA_REF_KEY) parent = r.parent;
  REQUIRE(parent != 0);
  for (const auto& e : items) {
    if (e.key.objectid != parent) continue;
    REQUIRE(e.ei.flags & BTRFS_BLOCK_FLAG_FULL_BACKREF);
    run_in_fiber([&] {
      auto trans = btrfs_start_transaction(*fs);
      btrfs_extent_item ei = e.ei;
      ei.flags &= ~BTRFS_BLOCK_FLAG_FULL_BACKREF;
      REQUIRE(btrfs_update_item(trans, fs->extent_root(), e.key, ei) == 0);
      btrfs_end_transaction(trans);
      REQUIRE(btrfs_sync_fs(*fs) == 0);
    });
    break;
  }
  const auto p = btrfs_check_committed(*fs, fsck_scope::filesystem);
  INFO(test::join_lines(p));
  CHECK(std::any_of(p.begin(), p.end(), [](const std::string& l) {
    return l.find("need") != std::string::npos && l.find("but the extent item has 0") != std::string::npos;
  }));
}
