// Storage half of the model: trees, commit roots, block groups, chunks, delayed refs, fsck.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>

#include "model/bio.hpp"
#include "model/data/delalloc_space.hpp"
#include "model/fsck.hpp"
#include "model/fs_info.hpp"
#include "model/mkfs.hpp"
#include "scheduler/prng.hpp"
#include "tests/model/model_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using fsrace::test::make_fs;
using fsrace::test::run_in_fiber;

namespace {

btrfs_inode_item inode_with_size(uint64_t size) {
  btrfs_inode_item it;
  it.size = size;
  return it;
}

bool contains_line(const std::vector<std::string>& lines, const std::string& needle) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(needle) != std::string::npos; });
}

}  // namespace

TEST_CASE("mkfs makes a consistent filesystem with one chunk of each type", "[model][mkfs]") {
  auto fs = make_fs();
  CHECK(btrfs_check(*fs).empty());
  REQUIRE(fs->block_group_cache_tree.size() == 3);
  int data = 0, meta = 0, sys = 0;
  for (auto& [start, bg] : fs->block_group_cache_tree) {
    data += bool(bg->flags & BTRFS_BLOCK_GROUP_DATA);
    meta += bool(bg->flags & BTRFS_BLOCK_GROUP_METADATA);
    sys += bool(bg->flags & BTRFS_BLOCK_GROUP_SYSTEM);
  }
  CHECK((data == 1 && meta == 1 && sys == 1));
  CHECK(fs->generation >= 1);
  CHECK(fs->running_transaction == nullptr);
}

TEST_CASE("mkfs rejects what mkfs.btrfs refuses", "[model][mkfs]") {
  mkfs_options o;
  o.device_sizes = {1ull << 30};
  o.metadata_profile = "raid1";
  std::unique_ptr<btrfs_fs_info> fs;
  sched::Scheduler s;
  std::string error;
  s.spawn("mkfs", [&] {
    try { fs = btrfs_mkfs(o); } catch (const bad_config& e) { error = e.what(); }
  });
  sched::RandomStrategy r;
  s.run(r, 1);
  CHECK(error.find("raid1 needs at least 2 devices") != std::string::npos);
  o.metadata_profile = "raid5";
  error.clear();
  s.spawn("mkfs", [&] {
    try { fs = btrfs_mkfs(o); } catch (const bad_config& e) { error = e.what(); }
  });
  s.run(r, 1);
  CHECK(error.find("unknown metadata profile 'raid5'") != std::string::npos);
}

TEST_CASE("btrfs_map_block maps reads to one mirror and writes to all, per profile", "[model][volumes]") {
  mkfs_options o;
  o.data_profile = "raid1";
  o.metadata_profile = "dup";
  o.system_profile = "single";
  auto fs = make_fs(o);
  for (auto& [start, bg] : fs->block_group_cache_tree) {
    std::vector<btrfs_bio_stripe> w, r1, r2;
    REQUIRE(btrfs_map_block(*fs, map_op::write, start + 4096, 4096, 0, w) == 0);
    REQUIRE(btrfs_map_block(*fs, map_op::read, start + 4096, 4096, 1, r1) == 0);
    CHECK(r1.size() == 1);
    if (bg->flags & BTRFS_BLOCK_GROUP_DATA) {  // raid1: two devices
      REQUIRE(w.size() == 2);
      CHECK(w[0].devid != w[1].devid);
      REQUIRE(btrfs_map_block(*fs, map_op::read, start + 4096, 4096, 2, r2) == 0);
      CHECK(r2[0].devid == w[1].devid);
    } else if (bg->flags & BTRFS_BLOCK_GROUP_METADATA) {  // dup: one device, two places
      REQUIRE(w.size() == 2);
      CHECK(w[0].devid == w[1].devid);
      CHECK(w[0].physical != w[1].physical);
    } else {  // single
      CHECK(w.size() == 1);
    }
    CHECK(w[0].physical == r1[0].physical);
  }
  std::vector<btrfs_bio_stripe> none;
  CHECK(btrfs_map_block(*fs, map_op::read, 1ull << 40, 4096, 0, none) == -EINVAL);
  CHECK(contains_line(fs->dmesg, "unable to find logical"));
  // A missing device leaves the other raid1 mirror.
  fs->device(1)->missing = true;
  for (auto& [start, bg] : fs->block_group_cache_tree) {
    if (!(bg->flags & BTRFS_BLOCK_GROUP_DATA)) continue;
    std::vector<btrfs_bio_stripe> r;
    REQUIRE(btrfs_map_block(*fs, map_op::read, start, 4096, 0, r) == 0);
    CHECK(r[0].devid == 2);
  }
}

// Raw inode items without refs: the fsck checks the trees as trees (fsck_scope::trees) here and in the
// clone and concurrent-writer tests below.
TEST_CASE("tree insert, search, delete and COW with commit-root isolation", "[model][ctree]") {
  auto fs = make_fs();
  btrfs_root& root = *fs->roots.at(BTRFS_FS_TREE_OBJECTID);
  const uint64_t commit_root_before = root.commit_root;
  const int n = 3000;  // enough to split leaves and grow a level
  run_in_fiber([&] {
    auto trans = btrfs_start_transaction(*fs);
    for (int i = 0; i < n; ++i)
      REQUIRE(btrfs_insert_item(trans, root, {uint64_t(1000 + i), BTRFS_INODE_ITEM_KEY, 0}, inode_with_size(i)) == 0);
    CHECK(btrfs_insert_item(trans, root, {1000, BTRFS_INODE_ITEM_KEY, 0}, inode_with_size(7)) == -EEXIST);
    btrfs_end_transaction(trans);
    // Not committed yet: the commit root does not see the new items.
    btrfs_path p(true, true);
    CHECK(btrfs_search_slot(*fs, root, {1500, BTRFS_INODE_ITEM_KEY, 0}, p) == 1);
    CHECK(root.commit_root == commit_root_before);
    CHECK(root.level >= 1);
  });
  CHECK(btrfs_check(*fs, fsck_scope::trees).empty());
  run_in_fiber([&] {
    REQUIRE(btrfs_commit_current(*fs) == 0);
    btrfs_path p(true, true);
    REQUIRE(btrfs_search_slot(*fs, root, {1500, BTRFS_INODE_ITEM_KEY, 0}, p) == 0);
    CHECK(std::get<btrfs_inode_item>(btrfs_path_item(*fs, p).value).size == 500);
    // Walk the whole commit root with next_item: every key, in order.
    btrfs_path w(true, true);
    REQUIRE(btrfs_search_slot(*fs, root, {1000, BTRFS_INODE_ITEM_KEY, 0}, w) == 0);
    int seen = 1;
    uint64_t last = 1000;
    while (btrfs_next_item(*fs, root, w) == 0) {
      uint64_t k = btrfs_path_item(*fs, w).key.objectid;
      CHECK(k > last);
      last = k;
      ++seen;
    }
    CHECK(seen == n);
    // Delete every other item; the commit root keeps all of them until the next commit.
    auto trans = btrfs_start_transaction(*fs);
    for (int i = 0; i < n; i += 2)
      REQUIRE(btrfs_delete_item(trans, root, {uint64_t(1000 + i), BTRFS_INODE_ITEM_KEY, 0}) == 0);
    CHECK(btrfs_delete_item(trans, root, {1000, BTRFS_INODE_ITEM_KEY, 0}) == -ENOENT);
    btrfs_end_transaction(trans);
    item_value v;
    CHECK(btrfs_lookup_item(*fs, root, {1000, BTRFS_INODE_ITEM_KEY, 0}, &v) == -ENOENT);
    CHECK(btrfs_lookup_item(*fs, root, {1001, BTRFS_INODE_ITEM_KEY, 0}, &v) == 0);
    btrfs_path c(true, true);
    CHECK(btrfs_search_slot(*fs, root, {1000, BTRFS_INODE_ITEM_KEY, 0}, c) == 0);
    REQUIRE(btrfs_commit_current(*fs) == 0);
    btrfs_path d(true, true);
    CHECK(btrfs_search_slot(*fs, root, {1000, BTRFS_INODE_ITEM_KEY, 0}, d) == 1);
  });
  CHECK(btrfs_check(*fs, fsck_scope::trees).empty());
}

TEST_CASE("a freed tree block reused after commit fails parent transid verification", "[model][ctree]") {
  auto fs = make_fs();
  btrfs_root& root = *fs->roots.at(BTRFS_FS_TREE_OBJECTID);
  run_in_fiber([&] {
    const uint64_t old_node = root.commit_root, old_gen = root.commit_root_gen;
    // COW the fs tree's root leaf; after the commit its old block is free space again.
    auto trans = btrfs_start_transaction(*fs);
    REQUIRE(btrfs_insert_item(trans, root, {300, BTRFS_INODE_ITEM_KEY, 0}, inode_with_size(1)) == 0);
    btrfs_end_transaction(trans);
    REQUIRE(btrfs_commit_current(*fs) == 0);
    REQUIRE(root.commit_root != old_node);
    // Allocate tree blocks until the old bytenr comes back, for another tree.
    trans = btrfs_start_transaction(*fs);
    bool reused = false;
    for (int i = 0; i < 200 && !reused; ++i) {
      REQUIRE(btrfs_insert_item(trans, fs->csum_root(), {BTRFS_EXTENT_CSUM_OBJECTID, BTRFS_EXTENT_CSUM_KEY, uint64_t(i) << 20},
                                btrfs_csum_item{std::vector<uint32_t>(900, 1)}) == 0);
      reused = fs->buffer_radix.find(old_node) && (*fs->buffer_radix.find(old_node))->header.generation != old_gen;
    }
    REQUIRE(reused);
    int err = 0;
    CHECK(read_tree_block(*fs, old_node, old_gen, 0, &err) == nullptr);
    CHECK(err == -EIO);
    CHECK(contains_line(fs->dmesg, fmt::format("parent transid verify failed on {} wanted {}", old_node, old_gen)));
    btrfs_end_transaction(trans);
  });
}

TEST_CASE("tree blocks reach every mirror at commit and are read back from disk", "[model][ctree]") {
  auto fs = make_fs();
  btrfs_root& root = *fs->roots.at(BTRFS_FS_TREE_OBJECTID);
  const uint64_t node = root.node;
  std::vector<btrfs_bio_stripe> w;
  REQUIRE(btrfs_map_block(*fs, map_op::write, node, fs->nodesize, 0, w) == 0);
  REQUIRE(w.size() == 2);  // metadata dup
  for (auto& s : w) CHECK(fs->device(s.devid)->bdev.read_tree_block(s.physical) != nullptr);
  // Drop it from memory and corrupt mirror 1: the read falls back to mirror 2.
  fs->buffer_radix.erase(node);
  fs->device(w[0].devid)->bdev.write(w[0].physical, std::vector<uint8_t>(fs->nodesize, 0xab));
  int err = 0;
  tree_block_ptr b = read_tree_block(*fs, node, root.commit_root_gen, root.level, &err);
  REQUIRE(b);
  CHECK(b->header.bytenr == node);
  CHECK(contains_line(fs->dmesg, "bad tree block start"));
}

TEST_CASE("the allocator skips read-only block groups and allocates a chunk", "[model][block_group]") {
  auto fs = make_fs();
  block_group_ptr data;
  for (auto& [s, bg] : fs->block_group_cache_tree)
    if (bg->flags & BTRFS_BLOCK_GROUP_DATA) data = bg;
  REQUIRE(data);
  run_in_fiber([&] {
    btrfs_key_ins a, b;
    REQUIRE(btrfs_alloc_data_chunk_ondemand(*fs, 65536) == 0);  // the data reservation every caller takes first
    REQUIRE(btrfs_reserve_extent(*fs, BTRFS_BLOCK_GROUP_DATA, 65536, a, true) == 0);
    CHECK(btrfs_lookup_block_group(*fs, a.objectid) == data);
    REQUIRE(btrfs_inc_block_group_ro(*fs, *data, true) == 0);
    REQUIRE(btrfs_alloc_data_chunk_ondemand(*fs, 65536) == 0);  // the data reservation every caller takes first
    REQUIRE(btrfs_reserve_extent(*fs, BTRFS_BLOCK_GROUP_DATA, 65536, b, true) == 0);
    block_group_ptr other = btrfs_lookup_block_group(*fs, b.objectid);
    REQUIRE(other);
    CHECK(other != data);
    CHECK(other->flags & BTRFS_BLOCK_GROUP_DATA);
    btrfs_dec_block_group_ro(*fs, *data);
    CHECK(data->ro == 0);
    btrfs_free_reserved_extent(*fs, a.objectid, a.offset);
    btrfs_free_reserved_extent(*fs, b.objectid, b.offset);
    REQUIRE(btrfs_commit_current(*fs) == 0);  // inserts the new chunk's items
  });
  CHECK(fs->block_group_cache_tree.size() == 4);
  CHECK(btrfs_check(*fs).empty());
}

TEST_CASE("delayed refs reach the extent tree only at commit", "[model][delayed_ref]") {
  auto fs = make_fs();
  btrfs_root& root = *fs->roots.at(BTRFS_FS_TREE_OBJECTID);
  run_in_fiber([&] {
    btrfs_key_ins ins;
    REQUIRE(btrfs_alloc_data_chunk_ondemand(*fs, 8192) == 0);  // the data reservation every caller takes first
    REQUIRE(btrfs_reserve_extent(*fs, BTRFS_BLOCK_GROUP_DATA, 8192, ins, false) == 0);
    auto trans = btrfs_start_transaction(*fs);
    btrfs_file_extent_item fe;
    fe.disk_bytenr = ins.objectid;
    fe.disk_num_bytes = fe.num_bytes = fe.ram_bytes = ins.offset;
    REQUIRE(btrfs_insert_item(trans, root, {257, BTRFS_EXTENT_DATA_KEY, 0}, fe) == 0);
    btrfs_add_delayed_data_ref(trans, ins.objectid, ins.offset, root.objectid, 257, 0, 0, +1, true);
    item_value v;
    CHECK(btrfs_lookup_item(*fs, fs->extent_root(), {ins.objectid, BTRFS_EXTENT_ITEM_KEY, ins.offset}, &v) == -ENOENT);
    btrfs_end_transaction(trans);
    CHECK(btrfs_check(*fs).empty());  // pending refs count as applied
    REQUIRE(btrfs_commit_current(*fs) == 0);
    REQUIRE(btrfs_lookup_item(*fs, fs->extent_root(), {ins.objectid, BTRFS_EXTENT_ITEM_KEY, ins.offset}, &v) == 0);
    CHECK(std::get<btrfs_extent_item>(v).refs == 1);
    CHECK(btrfs_lookup_block_group(*fs, ins.objectid)->used == 8192);
    // Dropping the last reference frees the extent after the commit that drops it.
    trans = btrfs_start_transaction(*fs);
    REQUIRE(btrfs_delete_item(trans, root, {257, BTRFS_EXTENT_DATA_KEY, 0}) == 0);
    btrfs_add_delayed_data_ref(trans, ins.objectid, ins.offset, root.objectid, 257, 0, 0, -1, false);
    btrfs_end_transaction(trans);
    REQUIRE(btrfs_commit_current(*fs) == 0);
    CHECK(btrfs_lookup_item(*fs, fs->extent_root(), {ins.objectid, BTRFS_EXTENT_ITEM_KEY, ins.offset}, &v) == -ENOENT);
    CHECK(btrfs_lookup_block_group(*fs, ins.objectid)->used == 0);
  });
  CHECK(btrfs_check(*fs).empty());
}

// A reference added to an extent whose last reference a commit already dropped: the kernel's
// __btrfs_inc_extent_ref finds no extent item (WARN in lookup_inline_extent_backref, -EIO), a finding;
// a drop of a missing extent is __btrfs_free_extent's WARN. Neither is a tool error.
TEST_CASE("a delayed ref on a freed extent is the kernel's WARN: insert for an addition, free for a drop",
          "[model][delayed_ref]") {
  for (const int action : {+1, -1}) {
    auto fs = make_fs();
    btrfs_root& root = *fs->roots.at(BTRFS_FS_TREE_OBJECTID);
    sched::Scheduler s;
    s.spawn("test", [&] {
      btrfs_key_ins ins;
      REQUIRE(btrfs_alloc_data_chunk_ondemand(*fs, 8192) == 0);  // the data reservation every caller takes first
      REQUIRE(btrfs_reserve_extent(*fs, BTRFS_BLOCK_GROUP_DATA, 8192, ins, false) == 0);
      auto trans = btrfs_start_transaction(*fs);
      btrfs_add_delayed_data_ref(trans, ins.objectid, ins.offset, root.objectid, 257, 0, 0, +1, true);
      btrfs_end_transaction(trans);
      REQUIRE(btrfs_commit_current(*fs) == 0);
      trans = btrfs_start_transaction(*fs);
      btrfs_add_delayed_data_ref(trans, ins.objectid, ins.offset, root.objectid, 257, 0, 0, -1, false);
      btrfs_end_transaction(trans);
      REQUIRE(btrfs_commit_current(*fs) == 0);  // the extent item is gone
      trans = btrfs_start_transaction(*fs);
      btrfs_add_delayed_data_ref(trans, ins.objectid, ins.offset, root.objectid, 258, 0, 0, action, false);
      btrfs_end_transaction(trans);
      btrfs_commit_current(*fs);
    });
    sched::RandomStrategy r;
    const sched::Execution e = s.run(r, 1);
    INFO("action " << action << ": " << e.finding.message);
    CHECK(e.finding.kind == sched::FindingKind::Warn);
    CHECK(e.finding.message.find(action > 0 ? "not found for insert" : "__btrfs_free_extent") != std::string::npos);
  }
}

TEST_CASE("fsck reports each planted inconsistency", "[model][fsck]") {
  SECTION("block group used bytes") {
    auto fs = make_fs();
    fs->block_group_cache_tree.begin()->second->used += 4096;
    CHECK(contains_line(btrfs_check(*fs), "used"));
  }
  SECTION("dev extent missing for a chunk stripe") {
    auto fs = make_fs();
    run_in_fiber([&] {
      auto& [logical, map] = *fs->mapping_tree.begin();
      auto trans = btrfs_start_transaction(*fs);
      REQUIRE(btrfs_delete_item(trans, fs->dev_root(), {fs->dev(map->stripes[0].dev).devid, BTRFS_DEV_EXTENT_KEY, map->stripes[0].physical}) == 0);
      btrfs_end_transaction(trans);
    });
    CHECK(contains_line(btrfs_check(*fs), "has no dev extent"));
  }
  SECTION("extent item reference count") {
    auto fs = make_fs();
    run_in_fiber([&] {
      auto trans = btrfs_start_transaction(*fs);
      btrfs_add_delayed_tree_ref(trans, fs->csum_root().node, fs->nodesize, 0, BTRFS_FS_TREE_OBJECTID, 0, +1, false);
      btrfs_end_transaction(trans);
    });
    CHECK(contains_line(btrfs_check(*fs), "refs but 1 references exist"));
  }
  SECTION("a referenced address no chunk maps") {
    auto fs = make_fs();
    run_in_fiber([&] {
      auto trans = btrfs_start_transaction(*fs);
      btrfs_file_extent_item fe;
      fe.disk_bytenr = 1ull << 44;
      fe.disk_num_bytes = fe.num_bytes = 4096;
      REQUIRE(btrfs_insert_item(trans, *fs->roots.at(BTRFS_FS_TREE_OBJECTID), {257, BTRFS_EXTENT_DATA_KEY, 0}, fe) == 0);
      btrfs_end_transaction(trans);
    });
    auto problems = btrfs_check(*fs);
    CHECK(contains_line(problems, "is not mapped by any chunk"));
    CHECK(contains_line(problems, "has no extent item"));
  }
  SECTION("tree block header") {
    auto fs = make_fs();
    const uint64_t node = fs->csum_root().node;
    auto b = std::make_shared<tree_block>(**fs->buffer_radix.find(node));
    b->header.level = 1;
    fs->buffer_radix.put(node, b);
    CHECK(contains_line(btrfs_check(*fs), "level 1 but expected 0"));
  }
}

TEST_CASE("a clone shares the prepared state and diverges privately", "[model][clone]") {
  auto fs = make_fs();
  freeze(*fs);
  btrfs_fs_info a = *fs, b = *fs;
  run_in_fiber([&] {
    auto trans = btrfs_start_transaction(a);
    REQUIRE(btrfs_insert_item(trans, *a.roots.at(BTRFS_FS_TREE_OBJECTID), {400, BTRFS_INODE_ITEM_KEY, 0}, inode_with_size(4)) == 0);
    btrfs_end_transaction(trans);
    REQUIRE(btrfs_commit_current(a) == 0);
  });
  item_value v;
  CHECK(btrfs_lookup_item(a, *a.roots.at(BTRFS_FS_TREE_OBJECTID), {400, BTRFS_INODE_ITEM_KEY, 0}, &v) == 0);
  CHECK(btrfs_lookup_item(b, *b.roots.at(BTRFS_FS_TREE_OBJECTID), {400, BTRFS_INODE_ITEM_KEY, 0}, &v) == -ENOENT);
  CHECK(btrfs_lookup_item(*fs, *fs->roots.at(BTRFS_FS_TREE_OBJECTID), {400, BTRFS_INODE_ITEM_KEY, 0}, &v) == -ENOENT);
  CHECK(btrfs_check(a, fsck_scope::trees).empty());
  CHECK(btrfs_check(b, fsck_scope::trees).empty());
  CHECK(b.buffer_radix.delta_size() == 0);
}

TEST_CASE("random concurrent tree writers and committers keep fsck clean, reproducibly", "[model][property]") {
  auto prepared = make_fs();
  freeze(*prepared);
  for (uint64_t seed : {1, 2, 3, 4, 5, 6, 7, 8}) {
    uint64_t hash[2];
    for (int rep = 0; rep < 2; ++rep) {
      btrfs_fs_info fs = *prepared;
      sched::Scheduler s;
      for (int t = 0; t < 3; ++t) {
        s.spawn(fmt::format("writer{}", t), [&fs, t, seed] {
          sched::Prng rng(seed * 31 + t);
          for (int op = 0; op < 40; ++op) {
            const uint64_t ino = 1000 + t * 1000 + rng.below(60);
            auto trans = btrfs_start_transaction(fs);
            btrfs_root& root = *fs.roots.at(BTRFS_FS_TREE_OBJECTID);
            switch (rng.below(4)) {
              case 0: case 1: btrfs_insert_item(trans, root, {ino, BTRFS_INODE_ITEM_KEY, 0}, btrfs_inode_item{}); break;
              case 2: btrfs_delete_item(trans, root, {ino, BTRFS_INODE_ITEM_KEY, 0}); break;
              case 3: btrfs_end_transaction(trans); btrfs_commit_current(fs); continue;
            }
            btrfs_end_transaction(trans);
          }
        });
      }
      sched::RandomStrategy r;
      sched::Execution e = s.run(r, seed);
      INFO("seed " << seed << ": " << e.finding.message);
      REQUIRE(e.finding.kind == sched::FindingKind::None);
      auto problems = btrfs_check(fs, fsck_scope::trees);
      INFO("seed " << seed << " fsck: " << (problems.empty() ? "" : problems[0]));
      REQUIRE(problems.empty());
      hash[rep] = e.trace_hash();
    }
    CHECK(hash[0] == hash[1]);
  }
}
