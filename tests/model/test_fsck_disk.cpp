// btrfs_check_committed: the committed state read back from the devices. A clean filesystem passes;
// each kind of damage (a mirror, a data checksum, an inode, a directory entry, an extent reference, a
// device item) is reported, and only on disk once committed.
#include <catch2/catch.hpp>

#include <algorithm>

#include "model/ctree.hpp"
#include "model/data/csum.hpp"
#include "model/fsck.hpp"
#include "tests/model/test_data_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test;

namespace {

std::string lines(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& l : v) s += l + "\n";
  return s;
}

bool has(const std::vector<std::string>& v, const std::string& needle) {
  return std::any_of(v.begin(), v.end(), [&](const std::string& l) { return l.find(needle) != std::string::npos; });
}

// Two devices, raid1 data and metadata; file "a" (32 KiB, two extents) committed.
std::unique_ptr<btrfs_fs_info> fs_with_file() {
  mkfs_options o;
  o.data_profile = "raid1";
  o.metadata_profile = "raid1";
  auto fs = make_fs(o);
  run_in_fiber([&] {
    btrfs_inode& inode = create_file(*fs, "a");
    write_two_extents(*fs, inode);
    btrfs_iput(*fs, inode);
  });
  return fs;
}

// Rewrites one item of a tree in a transaction and commits it.
void rewrite_item(btrfs_fs_info& fs, btrfs_root& root, const btrfs_key& key, const item_value& v) {
  run_in_fiber([&] {
    auto trans = btrfs_start_transaction(fs);
    MUST(btrfs_update_item(trans, root, key, v));
    MUST(btrfs_commit_transaction(trans));
  });
}

}  // namespace

TEST_CASE("fsck on disk: a clean filesystem passes, mkfs and after writes", "[model][fsck]") {
  auto fresh = make_fs();
  INFO(lines(btrfs_check_committed(*fresh)));
  CHECK(btrfs_check_committed(*fresh).empty());
  auto fs = fs_with_file();
  INFO(lines(btrfs_check(*fs)));
  CHECK(btrfs_check(*fs).empty());
}

TEST_CASE("fsck on disk: a mirror that differs or fails its checksum", "[model][fsck]") {
  auto fs = fs_with_file();
  const btrfs_root& fs_root = *fs->get_fs_root(BTRFS_FS_TREE_OBJECTID);
  SECTION("tree block overwritten by data on mirror 2") {
    run_in_fiber([&] { corrupt_mirror(*fs, fs_root.commit_root, fs->nodesize, 2, 0xab); });
    const auto p = btrfs_check_committed(*fs);
    INFO(lines(p));
    CHECK(has(p, "on disk: tree block " + std::to_string(fs_root.commit_root) + " of root 5: mirror 2"));
    CHECK(has(p, "holds no tree block"));
  }
  SECTION("data under a committed checksum") {
    const auto ext = [&] {
      std::vector<file_extent> out;
      run_in_fiber([&] { out = file_extents(*fs, open_file(*fs, "a")); });
      return out;
    }();
    REQUIRE(ext.size() == 2);
    run_in_fiber([&] { corrupt_mirror(*fs, ext[1].fi.disk_bytenr, 4096, 1, 0x5a); });
    const auto p = btrfs_check_committed(*fs);
    INFO(lines(p));
    CHECK(has(p, "on disk: data at " + std::to_string(ext[1].fi.disk_bytenr) + " mirror 1"));
  }
}

TEST_CASE("fsck on disk: inodes, directories, extent references, devices", "[model][fsck]") {
  auto fs = fs_with_file();
  btrfs_root& fs_root = *fs->get_fs_root(BTRFS_FS_TREE_OBJECTID);
  uint64_t ino = 0;
  run_in_fiber([&] { ino = open_file(*fs, "a").ino; });
  item_value v;
  SECTION("nbytes") {
    run_in_fiber([&] { MUST(btrfs_lookup_item(*fs, fs_root, {ino, BTRFS_INODE_ITEM_KEY, 0}, &v)); });
    auto ii = std::get<btrfs_inode_item>(v);
    ii.nbytes += 4096;
    rewrite_item(*fs, fs_root, {ino, BTRFS_INODE_ITEM_KEY, 0}, ii);
    const auto p = btrfs_check_committed(*fs);
    INFO(lines(p));
    CHECK(has(p, fmt::format("on disk: root 5 ino {}: nbytes 36864 but its file extents hold 32768", ino)));
  }
  SECTION("nlink") {
    run_in_fiber([&] { MUST(btrfs_lookup_item(*fs, fs_root, {ino, BTRFS_INODE_ITEM_KEY, 0}, &v)); });
    auto ii = std::get<btrfs_inode_item>(v);
    ii.nlink = 2;
    rewrite_item(*fs, fs_root, {ino, BTRFS_INODE_ITEM_KEY, 0}, ii);
    CHECK(has(btrfs_check_committed(*fs), fmt::format("root 5 ino {}: nlink 2 but 1 inode ref", ino)));
  }
  SECTION("directory size") {
    run_in_fiber([&] { MUST(btrfs_lookup_item(*fs, fs_root, {256, BTRFS_INODE_ITEM_KEY, 0}, &v)); });
    auto dir = std::get<btrfs_inode_item>(v);
    dir.size += 1;
    rewrite_item(*fs, fs_root, {256, BTRFS_INODE_ITEM_KEY, 0}, dir);
    CHECK(has(btrfs_check_committed(*fs), "root 5 dir 256: i_size 3 but its entries' names add up to 2"));
  }
  SECTION("extent item references") {
    std::vector<file_extent> ext;
    run_in_fiber([&] { ext = file_extents(*fs, open_file(*fs, "a")); });
    const btrfs_key key{ext[0].fi.disk_bytenr, BTRFS_EXTENT_ITEM_KEY, ext[0].fi.disk_num_bytes};
    run_in_fiber([&] { MUST(btrfs_lookup_item(*fs, fs->extent_root(), key, &v)); });
    auto ei = std::get<btrfs_extent_item>(v);
    REQUIRE(ei.inline_refs.size() == 1);
    ei.inline_refs[0].offset += 4096;  // same count, another identity
    rewrite_item(*fs, fs->extent_root(), key, ei);
    const auto p = btrfs_check_committed(*fs);
    INFO(lines(p));
    CHECK(has(p, fmt::format("data extent {}: 1 pointer needs EXTENT_DATA_REF root 5 ino {} offset 0 but the extent "
                             "item has 0", key.objectid, ino)));
    CHECK_FALSE(has(p, "refs but"));  // the count still agrees
  }
  SECTION("device bytes_used") {
    const btrfs_key key{BTRFS_DEV_ITEMS_OBJECTID, BTRFS_DEV_ITEM_KEY, 1};
    run_in_fiber([&] { MUST(btrfs_lookup_item(*fs, fs->chunk_root(), key, &v)); });
    auto di = std::get<btrfs_dev_item>(v);
    di.bytes_used -= 1 << 20;
    rewrite_item(*fs, fs->chunk_root(), key, di);
    CHECK(has(btrfs_check_committed(*fs), "on disk: dev item 1: bytes_used"));
  }
}

TEST_CASE("fsck on disk: the fs tree check kept from an earlier check sees a changed item", "[model][fsck]") {
  // check_fs_tree keeps each fs tree's result keyed on its leaves' items: a clean result must not hide
  // an item changed since, whether the leaf was copied (COW after a commit) or not.
  auto fs = fs_with_file();
  btrfs_root& fs_root = *fs->get_fs_root(BTRFS_FS_TREE_OBJECTID);
  uint64_t ino = 0;
  run_in_fiber([&] { ino = open_file(*fs, "a").ino; });
  REQUIRE(btrfs_check_committed(*fs).empty());
  REQUIRE(btrfs_check_committed(*fs).empty());  // the second check reuses the first's result
  item_value v;
  run_in_fiber([&] { MUST(btrfs_lookup_item(*fs, fs_root, {ino, BTRFS_INODE_ITEM_KEY, 0}, &v)); });
  auto ii = std::get<btrfs_inode_item>(v);
  ii.nlink = 2;
  rewrite_item(*fs, fs_root, {ino, BTRFS_INODE_ITEM_KEY, 0}, ii);
  const auto first = btrfs_check_committed(*fs);
  CHECK(has(first, fmt::format("root 5 ino {}: nlink 2 but 1 inode ref", ino)));
  CHECK(btrfs_check_committed(*fs) == first);  // a kept result replays the same problems
  ii.nlink = 1;
  rewrite_item(*fs, fs_root, {ino, BTRFS_INODE_ITEM_KEY, 0}, ii);
  CHECK(btrfs_check_committed(*fs).empty());
  // A leaf changed in place (its only holder: no copy) gets a new identity too.
  auto copy = std::make_shared<tree_block>(**fs->buffer_radix.find(fs_root.node));
  const uint64_t before = copy->items.payload_id();
  REQUIRE(copy->items.size() > 0);
  copy->items[0].key.offset += 0;  // any mutable access counts as a change
  CHECK(copy->items.payload_id() != before);
}

TEST_CASE("fsck on disk reads the committed state: changes after the last commit are not on disk yet", "[model][fsck]") {
  auto fs = fs_with_file();
  btrfs_root& fs_root = *fs->get_fs_root(BTRFS_FS_TREE_OBJECTID);
  uint64_t ino = 0;
  run_in_fiber([&] { ino = open_file(*fs, "a").ino; });
  item_value v;
  run_in_fiber([&] {
    MUST(btrfs_lookup_item(*fs, fs_root, {ino, BTRFS_INODE_ITEM_KEY, 0}, &v));
    auto ii = std::get<btrfs_inode_item>(v);
    ii.nbytes = 1;
    auto trans = btrfs_start_transaction(*fs);
    MUST(btrfs_update_item(trans, fs_root, {ino, BTRFS_INODE_ITEM_KEY, 0}, ii));
    btrfs_end_transaction(trans);
  });
  CHECK(btrfs_check_committed(*fs).empty());
  run_in_fiber([&] { MUST(btrfs_commit_current(*fs)); });
  CHECK(has(btrfs_check_committed(*fs), "nbytes 1"));
}

TEST_CASE("fsck on disk: a data sector rewritten after a clean check fails the next one", "[model][fsck]") {
  // check_csums checksums a data sector's bytes in place: a sector written since the last check must be
  // read again, not taken from anything the earlier check saw.
  auto fs = fs_with_file();
  std::vector<file_extent> ext;
  run_in_fiber([&] { ext = file_extents(*fs, open_file(*fs, "a")); });
  REQUIRE(ext.size() == 2);
  REQUIRE(btrfs_check_committed(*fs).empty());
  REQUIRE(btrfs_check_committed(*fs).empty());
  run_in_fiber([&] { corrupt_mirror(*fs, ext[0].fi.disk_bytenr, 4096, 2, 0x3c); });
  const auto p = btrfs_check_committed(*fs);
  INFO(lines(p));
  CHECK(has(p, "on disk: data at " + std::to_string(ext[0].fi.disk_bytenr) + " mirror 2"));
  CHECK(btrfs_check_committed(*fs) == p);  // and again
}

TEST_CASE("fsck on disk: a data sector's kept checksum never stands for new bytes", "[model][fsck]") {
  // check_csums takes a data sector's checksum from its bytes (sector_bytes::csum, computed once): after
  // a freeze and two clean checks, the prepared state's sectors carry their checksums; a rewrite of one
  // (new bytes, a new object) must be checksummed again and fail, and a write of the same bytes pass.
  auto fs = fs_with_file();
  std::vector<file_extent> ext;
  run_in_fiber([&] { ext = file_extents(*fs, open_file(*fs, "a")); });
  REQUIRE(ext.size() == 2);
  freeze(*fs);
  REQUIRE(btrfs_check_committed(*fs).empty());
  REQUIRE(btrfs_check_committed(*fs).empty());
  std::vector<btrfs_bio_stripe> stripes;
  run_in_fiber([&] { MUST(btrfs_map_block(*fs, map_op::read, ext[0].fi.disk_bytenr, 4096, 1, stripes)); });
  block_device& bdev = fs->devices.at(stripes.at(0).devid)->bdev;
  const sector* s = bdev.find_sector(stripes.at(0).physical);
  REQUIRE((s && s->data));
  std::vector<uint8_t> bytes(s->data->begin(), s->data->end());
  CHECK(s->data->csum() == btrfs_csum_sector(bytes));
  SECTION("other bytes") {
    bytes[17] ^= 0x5a;
    bdev.write(stripes.at(0).physical, bytes);
    CHECK(bdev.find_sector(stripes.at(0).physical)->data->csum() == btrfs_csum_sector(bytes));
    const auto p = btrfs_check_committed(*fs);
    INFO(lines(p));
    CHECK(has(p, "on disk: data at " + std::to_string(ext[0].fi.disk_bytenr) + " mirror 1"));
  }
  SECTION("the same bytes") {
    bdev.write(stripes.at(0).physical, bytes);
    CHECK(btrfs_check_committed(*fs).empty());
  }
}

TEST_CASE("fsck: a prepared-state block that passed before does not hide a changed copy", "[model][fsck]") {
  // Both checks skip the checks of a block alone for a frozen block (the prepared state's) that passed
  // them before (frozen_block_memo.hpp): a block put in its place since is checked in full.
  auto fs = fs_with_file();
  freeze(*fs);
  REQUIRE(btrfs_check(*fs).empty());
  REQUIRE(btrfs_check(*fs).empty());  // the second check takes the frozen blocks as sound
  const btrfs_root& fs_root = *fs->get_fs_root(BTRFS_FS_TREE_OBJECTID);
  const uint64_t bytenr = fs_root.node;
  REQUIRE(fs_root.commit_root == bytenr);
  auto bad = std::make_shared<tree_block>(**fs->buffer_radix.find(bytenr));
  REQUIRE(bad->items.size() >= 2);
  std::swap(bad->items[0], bad->items[1]);  // keys out of order, the header's checksum now wrong
  SECTION("in memory") {
    fs->buffer_radix.put(bytenr, bad);
    const auto p = btrfs_check(*fs, fsck_scope::trees);
    INFO(lines(p));
    CHECK(has(p, fmt::format("tree block {} of root 5: checksum mismatch", bytenr)));
    CHECK(has(p, fmt::format("tree block {} of root 5: keys out of order at slot 1", bytenr)));
  }
  SECTION("on disk, mirror 2") {
    std::vector<btrfs_bio_stripe> stripes;
    run_in_fiber([&] { MUST(btrfs_map_block(*fs, map_op::read, bytenr, fs->nodesize, 2, stripes)); });
    fs->devices.at(stripes.at(0).devid)->bdev.write_tree_block(stripes.at(0).physical, bad, fs->nodesize);
    const auto p = btrfs_check_committed(*fs, fsck_scope::trees);
    INFO(lines(p));
    CHECK(has(p, fmt::format("on disk: tree block {} of root 5: mirror 2", bytenr)));
    CHECK(has(p, "fails its checksum"));
  }
  SECTION("on disk, both mirrors, checksum valid") {
    bad->header.csum = bad->content_csum();
    for (int mirror = 1; mirror <= 2; ++mirror) {
      std::vector<btrfs_bio_stripe> stripes;
      run_in_fiber([&] { MUST(btrfs_map_block(*fs, map_op::read, bytenr, fs->nodesize, mirror, stripes)); });
      fs->devices.at(stripes.at(0).devid)->bdev.write_tree_block(stripes.at(0).physical, bad, fs->nodesize);
    }
    const auto p = btrfs_check_committed(*fs, fsck_scope::trees);
    INFO(lines(p));
    CHECK(has(p, fmt::format("on disk: tree block {} of root 5: keys out of order at slot 1", bytenr)));
  }
}

TEST_CASE("fsck: the blocks the in-memory check verified do not hide a bad block on disk", "[model][fsck]") {
  // btrfs_check hands the committed state's check the block objects whose checksum it found matching
  // (fsck::verified_blocks): only those same objects are taken as verified there, never another object
  // at the same address, nor one that failed in memory.
  auto fs = fs_with_file();
  REQUIRE(btrfs_check(*fs).empty());
  const btrfs_root& fs_root = *fs->get_fs_root(BTRFS_FS_TREE_OBJECTID);
  const uint64_t bytenr = fs_root.node;
  REQUIRE(fs_root.commit_root == bytenr);
  auto bad = std::make_shared<tree_block>(**fs->buffer_radix.find(bytenr));
  REQUIRE(bad->items.size() >= 2);
  std::swap(bad->items[0], bad->items[1]);  // the header's checksum now wrong
  auto write_mirror = [&](int mirror, const tree_block_ptr& b) {
    std::vector<btrfs_bio_stripe> stripes;
    run_in_fiber([&] { MUST(btrfs_map_block(*fs, map_op::read, bytenr, fs->nodesize, mirror, stripes)); });
    fs->devices.at(stripes.at(0).devid)->bdev.write_tree_block(stripes.at(0).physical, b, fs->nodesize);
  };
  SECTION("sound in memory, another object failing on mirror 2") {
    write_mirror(2, bad);
    const auto p = btrfs_check(*fs, fsck_scope::trees);
    INFO(lines(p));
    CHECK_FALSE(has(p, fmt::format("tree block {} of root 5: checksum mismatch", bytenr)));
    CHECK(has(p, fmt::format("on disk: tree block {} of root 5: mirror 2", bytenr)));
    CHECK(has(p, "fails its checksum"));
  }
  SECTION("the same failing object in memory and on both mirrors") {
    fs->buffer_radix.put(bytenr, bad);
    write_mirror(1, bad);
    write_mirror(2, bad);
    const auto p = btrfs_check(*fs, fsck_scope::trees);
    INFO(lines(p));
    CHECK(has(p, fmt::format("tree block {} of root 5: checksum mismatch", bytenr)));
    CHECK(has(p, fmt::format("on disk: tree block {} of root 5: mirror 1", bytenr)));
    CHECK(has(p, fmt::format("on disk: tree block {} of root 5: no mirror holds a valid copy", bytenr)));
  }
}
