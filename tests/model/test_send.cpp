// btrfs send / receive without concurrency: full and incremental streams reproduce the snapshot.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>

#include "model/maint/send.hpp"
#include "tests/model/test_send_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using fsrace::test::make_fs;
using fsrace::test::run_in_fiber;

TEST_CASE("full send of a snapshot once received equals the snapshot and what was written", "[model][send]") {
  auto fs = make_fs();
  run_in_fiber([&] {
    test::write_in(*fs, BTRFS_FS_TREE_OBJECTID, "a", 0, 20000, 1);
    test::write_in(*fs, BTRFS_FS_TREE_OBJECTID, "b", 0, 4096, 2);
    test::write_in(*fs, BTRFS_FS_TREE_OBJECTID, "b", 16384, 4096, 3);  // a hole in the middle
    uint64_t ino = 0;
    REQUIRE(btrfs_create(*fs, BTRFS_FS_TREE_OBJECTID, "empty", false, &ino, "create empty") == 0);
    const uint64_t snap = test::snapshot(*fs, BTRFS_FS_TREE_OBJECTID, "snap");
    send_stream_ptr stream;
    auto diffs = test::send_receive(*fs, snap, 0, &stream);
    INFO(test::join_lines(diffs));
    CHECK(diffs.empty());
    CHECK(stream->commands.front().cmd == send_cmd::subvol);
    CHECK(stream->commands.back().cmd == send_cmd::end);
    CHECK(test::count_cmds(*stream, send_cmd::mkfile) == 3);
    CHECK(test::count_cmds(*stream, send_cmd::rename) == 3);  // from the orphan names
    const received_subvol& got = fs->received_subvols.at(snap);
    CHECK(got.inodes.at(got.paths.at("a")).data == test::pattern(1, 0, 20000));
    auto b = test::pattern(2, 0, 4096);
    b.resize(16384, 0);
    auto b2 = test::pattern(3, 16384, 4096);
    b.insert(b.end(), b2.begin(), b2.end());
    CHECK(got.inodes.at(got.paths.at("b")).data == b);
    CHECK(got.inodes.at(got.paths.at("empty")).data.empty());
  });
}

TEST_CASE("incremental send carries the differences and applies on the received parent", "[model][send]") {
  mkfs_options o;
  o.nodesize = 4096;  // multi-level trees: compare_trees skips shared subtrees
  auto fs = make_fs(o);
  run_in_fiber([&] {
    for (int i = 0; i < 40; ++i) test::write_in(*fs, BTRFS_FS_TREE_OBJECTID, "f" + std::to_string(i), 0, 4096, i);
    test::write_in(*fs, BTRFS_FS_TREE_OBJECTID, "grow", 0, 4096, 50);
    test::write_in(*fs, BTRFS_FS_TREE_OBJECTID, "shrink", 0, 12288, 51);
    const uint64_t s1 = test::snapshot(*fs, BTRFS_FS_TREE_OBJECTID, "s1");
    REQUIRE(fs->get_fs_root(s1)->level >= 1);
    test::write_in(*fs, BTRFS_FS_TREE_OBJECTID, "f5", 0, 4096, 105);      // overwrite
    test::write_in(*fs, BTRFS_FS_TREE_OBJECTID, "grow", 8192, 4096, 106); // extend past a hole
    REQUIRE(btrfs_unlink(*fs, BTRFS_FS_TREE_OBJECTID, "f9") == 0);
    test::write_in(*fs, BTRFS_FS_TREE_OBJECTID, "fresh", 0, 6000, 107);
    btrfs_inode* shrink = btrfs_iget(*fs, BTRFS_FS_TREE_OBJECTID, btrfs_lookup_name(*fs, BTRFS_FS_TREE_OBJECTID, "shrink"));
    REQUIRE(btrfs_setsize(*fs, *shrink, 5000, "truncate shrink") == 0);
    const uint64_t s2 = test::snapshot(*fs, BTRFS_FS_TREE_OBJECTID, "s2");

    CHECK(test::send_receive(*fs, s1, 0).empty());
    send_stream_ptr full2, inc;
    REQUIRE(btrfs_ioctl_send(*fs, s2, 0, &full2) == 0);
    auto diffs = test::send_receive(*fs, s2, s1, &inc);
    INFO(test::join_lines(diffs));
    CHECK(diffs.empty());
    CHECK(inc->commands.front().cmd == send_cmd::snapshot);
    CHECK(inc->commands.front().clone_uuid == s1);
    CHECK(test::count_cmds(*inc, send_cmd::unlink) == 1);
    CHECK(test::count_cmds(*inc, send_cmd::mkfile) == 1);
    // Only the changed files' data travels.
    CHECK(inc->bytes_written() < full2->bytes_written() / 4);
    const received_subvol& got = fs->received_subvols.at(s2);
    CHECK(got.inodes.at(got.paths.at("f5")).data == test::pattern(105, 0, 4096));
    CHECK(got.inodes.at(got.paths.at("f6")).data == test::pattern(6, 0, 4096));
    CHECK(got.inodes.at(got.paths.at("shrink")).data.size() == 5000);
  });
  CHECK(btrfs_check(*fs).empty());
}

TEST_CASE("send refuses writable subvolumes and unknown ones", "[model][send]") {
  auto fs = make_fs();
  run_in_fiber([&] {
    test::write_in(*fs, BTRFS_FS_TREE_OBJECTID, "a", 0, 4096, 1);
    const uint64_t rw = test::snapshot(*fs, BTRFS_FS_TREE_OBJECTID, "rw", false);
    const uint64_t ro = test::snapshot(*fs, BTRFS_FS_TREE_OBJECTID, "ro", true);
    send_stream_ptr s;
    CHECK(btrfs_ioctl_send(*fs, BTRFS_FS_TREE_OBJECTID, 0, &s) == -EPERM);
    CHECK(btrfs_ioctl_send(*fs, rw, 0, &s) == -EPERM);
    CHECK(btrfs_ioctl_send(*fs, ro, rw, &s) == -EPERM);  // the parent must be read-only too
    CHECK(btrfs_ioctl_send(*fs, 4242, 0, &s) == -ENOENT);
    CHECK(!s);
    CHECK(btrfs_ioctl_send(*fs, ro, 0, &s) == 0);
    CHECK(fs->root_send_info.at(ro).send_in_progress == 0);
  });
}

TEST_CASE("receive refuses an incremental stream whose parent was not received", "[model][send]") {
  auto fs = make_fs();
  run_in_fiber([&] {
    test::write_in(*fs, BTRFS_FS_TREE_OBJECTID, "a", 0, 4096, 1);
    const uint64_t s1 = test::snapshot(*fs, BTRFS_FS_TREE_OBJECTID, "s1");
    test::write_in(*fs, BTRFS_FS_TREE_OBJECTID, "a", 0, 4096, 2);
    const uint64_t s2 = test::snapshot(*fs, BTRFS_FS_TREE_OBJECTID, "s2");
    send_stream_ptr inc;
    REQUIRE(btrfs_ioctl_send(*fs, s2, s1, &inc) == 0);
    std::string error;
    CHECK(btrfs_receive(fs->received_subvols, *inc, &error) == -ENOENT);
    CHECK(error.find("cannot find parent subvolume") != std::string::npos);
    CHECK(fs->received_subvols.empty());
  });
}

TEST_CASE("with d96b34248c2f (cloned leaves and restart checks) send produces the same streams", "[model][send]") {
  mkfs_options o;
  o.nodesize = 4096;
  auto fs = make_fs(o);
  run_in_fiber([&] {
    for (int i = 0; i < 30; ++i) test::write_in(*fs, BTRFS_FS_TREE_OBJECTID, "f" + std::to_string(i), 0, 4096, i);
    const uint64_t s1 = test::snapshot(*fs, BTRFS_FS_TREE_OBJECTID, "s1");
    test::write_in(*fs, BTRFS_FS_TREE_OBJECTID, "f12", 0, 4096, 99);
    const uint64_t s2 = test::snapshot(*fs, BTRFS_FS_TREE_OBJECTID, "s2");
    send_stream_ptr a_full, a_inc, b_full, b_inc;
    fs->fixes = fix_set::all_off();
    REQUIRE(btrfs_ioctl_send(*fs, s1, 0, &a_full) == 0);
    REQUIRE(btrfs_ioctl_send(*fs, s2, s1, &a_inc) == 0);
    fs->fixes.set("d96b34248c2f", true);
    REQUIRE(btrfs_ioctl_send(*fs, s1, 0, &b_full) == 0);
    REQUIRE(btrfs_ioctl_send(*fs, s2, s1, &b_inc) == 0);
    auto same = [](const send_stream& x, const send_stream& y) {
      if (x.commands.size() != y.commands.size()) return false;
      for (size_t i = 0; i < x.commands.size(); ++i)
        if (describe(x.commands[i]) != describe(y.commands[i]) || x.commands[i].data != y.commands[i].data) return false;
      return true;
    };
    CHECK(same(*a_full, *b_full));
    CHECK(same(*a_inc, *b_inc));
    CHECK(test::count_cmds(*a_inc, send_cmd::write) == 1);
  });
}

TEST_CASE("compare_received: every difference, wanted paths first, then paths only received", "[model][send]") {
  // The paths of both sides are walked in one ordered pass: the lines must come out as a lookup of each
  // wanted path followed by a pass over the received paths would give them.
  received_subvol want, got;
  auto add = [](received_subvol& sv, const std::string& path, bool dir, std::vector<uint8_t> data) {
    const uint64_t id = sv.next_id++;
    sv.inodes[id] = received_inode{dir, 0644, std::move(data)};
    sv.paths[path] = id;
  };
  add(want, "", true, {});
  add(got, "", true, {});
  add(want, "a", false, {1, 2, 3});
  add(got, "a", false, {1, 2, 4});
  add(got, "b", false, {});  // only received, between two wanted paths
  add(want, "c", false, {});  // only wanted
  add(want, "d", true, {});
  add(got, "d", false, {});
  add(got, "e", false, {});  // only received, after the last wanted path
  add(got, "f", true, {});
  const std::vector<std::string> expect{
      "a: content differs from offset 2",
      "c is missing from the received subvolume",
      "d was received as a file but is a directory",
      "b was received but is not in the snapshot",
      "e was received but is not in the snapshot",
      "f was received but is not in the snapshot",
  };
  CHECK(compare_received(got, want) == expect);
  CHECK(compare_received(got, got).empty());
}

TEST_CASE("the received check kept from an earlier check sees changed data, items and received content",
          "[model][send]") {
  // btrfs_check_received keeps each snapshot's content (keyed on its leaves' items and on what each data
  // read finds on the devices) and each comparison (keyed on the received object and that content): a
  // clean answer must not hide a change of any of them.
  auto fs = make_fs();
  uint64_t snap = 0;
  run_in_fiber([&] {
    test::write_in(*fs, BTRFS_FS_TREE_OBJECTID, "a", 0, 8192, 1);
    test::write_in(*fs, BTRFS_FS_TREE_OBJECTID, "b", 0, 4096, 2);
    snap = test::snapshot(*fs, BTRFS_FS_TREE_OBJECTID, "snap");
    REQUIRE(test::send_receive(*fs, snap, 0).empty());
  });
  auto has = [](const std::vector<std::string>& v, const std::string& needle) {
    return std::any_of(v.begin(), v.end(), [&](const std::string& l) { return l.find(needle) != std::string::npos; });
  };
  REQUIRE(btrfs_check_received(*fs).empty());
  REQUIRE(btrfs_check_received(*fs).empty());  // the second check reuses the first's content and comparison
  // The snapshot's items: the first file extent with data, and the inode item of its file.
  btrfs_root& root = *fs->get_fs_root(snap);
  btrfs_key extent_key{}, inode_key{};
  btrfs_file_extent_item fe;
  btrfs_inode_item ii;
  run_in_fiber([&] {
    btrfs_for_each_item(*fs, root, {BTRFS_FIRST_FREE_OBJECTID + 1, 0, 0}, [&](const btrfs_item& it) {
      if (it.key.type == BTRFS_INODE_ITEM_KEY && !inode_key.objectid) {
        inode_key = it.key;
        ii = std::get<btrfs_inode_item>(it.value);
      }
      if (it.key.type != BTRFS_EXTENT_DATA_KEY || it.key.objectid != inode_key.objectid) return true;
      extent_key = it.key;
      fe = std::get<btrfs_file_extent_item>(it.value);
      return false;
    });
  });
  REQUIRE(extent_key.objectid != 0);
  REQUIRE(fe.disk_bytenr != 0);
  // 1. The data under the snapshot changes on every mirror: a new sector, the kept content is not used.
  std::vector<btrfs_bio_stripe> stripes;
  std::vector<std::vector<uint8_t>> saved;
  run_in_fiber([&] {
    REQUIRE(btrfs_map_block(*fs, map_op::write, fe.disk_bytenr + fe.offset, SECTORSIZE, 0, stripes) == 0);
  });
  REQUIRE(!stripes.empty());
  for (const auto& s : stripes) {
    block_device& bdev = fs->device(s.devid)->bdev;
    auto& old = saved.emplace_back(SECTORSIZE);
    bdev.read(s.physical, old);
    std::vector<uint8_t> changed = old;
    changed[100] ^= 0xff;
    bdev.write(s.physical, changed);
  }
  auto problems = btrfs_check_received(*fs);
  CHECK(has(problems, "content differs from offset 100"));
  CHECK(btrfs_check_received(*fs) == problems);  // a kept result gives the same answer
  for (size_t i = 0; i < stripes.size(); ++i) fs->device(stripes[i].devid)->bdev.write(stripes[i].physical, saved[i]);
  CHECK(btrfs_check_received(*fs).empty());  // the same bytes again, in new sectors
  // 2. An item of the snapshot changes (a new payload for its leaf): the kept layout is not used.
  const btrfs_inode_item original = ii;
  ii.size += SECTORSIZE;
  run_in_fiber([&] {
    auto trans = btrfs_start_transaction(*fs);
    REQUIRE(btrfs_update_item(trans, root, inode_key, ii) == 0);
    REQUIRE(btrfs_commit_transaction(trans) == 0);
  });
  CHECK(has(btrfs_check_received(*fs), fmt::format("size {} received, {} expected", original.size, ii.size)));
  run_in_fiber([&] {
    auto trans = btrfs_start_transaction(*fs);
    REQUIRE(btrfs_update_item(trans, root, inode_key, original) == 0);
    REQUIRE(btrfs_commit_transaction(trans) == 0);
  });
  REQUIRE(btrfs_check_received(*fs).empty());
  // 3. The received subvolume changes (its object is shared with the kept comparison, so changing it
  // makes a copy): the kept comparison is not used.
  received_subvol& got = fs->received_subvols.at(snap).mut();
  REQUIRE(!got.inodes.empty());
  for (auto& [id, ino] : got.inodes)
    if (!ino.dir && !ino.data.empty()) {
      ino.data[0] ^= 0xff;
      break;
    }
  CHECK(has(btrfs_check_received(*fs), "content differs from offset 0"));
}
