// Seed 002, send vs relocation (9e967495e0e0), at the model level: what each fix toggle changes in
// send, balance and the commit, one step at a time, and balance of metadata moving the blocks of
// read-only snapshots (relocate_tree_blocks through btrfs_cow_search) without breaking them. The race
// itself is explored through scenarios/send-vs-relocation.json (tests/sim/send_scenario_test.cpp).
#include <catch2/catch.hpp>

#include <cerrno>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "model/block_group.hpp"
#include "model/fsck.hpp"
#include "model/maint/balance.hpp"
#include "model/transaction.hpp"
#include "tests/model/test_send_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using fsrace::test::make_fs;
using fsrace::test::run_in_fiber;

namespace {

// A filesystem with 4KiB nodes, `files` files, read-only snapshots s0 and s1 (s1 after rewriting a
// few files) and s0 received already. Runs in a fiber.
struct snapshots {
  std::unique_ptr<btrfs_fs_info> fs;
  uint64_t s0 = 0, s1 = 0;
};

snapshots make_snapshots(int files, const fix_set& fixes) {
  mkfs_options o;
  o.nodesize = 4096;
  snapshots s{make_fs(o)};
  s.fs->fixes = fixes;
  run_in_fiber([&] {
    for (int i = 0; i < files; ++i) test::write_in(*s.fs, BTRFS_FS_TREE_OBJECTID, fmt::format("f{}", i), 0, 4096, i + 1);
    s.s0 = test::snapshot(*s.fs, BTRFS_FS_TREE_OBJECTID, "s0");
    REQUIRE(test::send_receive(*s.fs, s.s0, 0).empty());
    for (int i = 0; i < files; i += 4)
      test::write_in(*s.fs, BTRFS_FS_TREE_OBJECTID, fmt::format("f{}", i), 0, 8192, 100 + i);
    s.s1 = test::snapshot(*s.fs, BTRFS_FS_TREE_OBJECTID, "s1");
  });
  return s;
}

fix_set kernel(const char* version) { return fix_set::for_kernel(version); }

btrfs_balance_control metadata_balance() {
  btrfs_balance_control bctl;
  bctl.flags = BTRFS_BALANCE_METADATA;
  return bctl;
}

block_group_ptr first_metadata_group(btrfs_fs_info& fs) {
  for (const auto& [start, bg] : fs.block_group_cache_tree)
    if (bg->flags & BTRFS_BLOCK_GROUP_METADATA) return bg;
  return nullptr;
}

}  // namespace

TEST_CASE("send vs relocation: 9e967495e0e0 turns send away while balance runs and balance while sends run",
          "[model][send][race]") {
  snapshots s = make_snapshots(6, kernel("5.3"));
  btrfs_fs_info& fs = *s.fs;
  run_in_fiber([&] {
    fs.flags |= BTRFS_FS_BALANCE_RUNNING;  // as btrfs_balance sets it under balance_mutex
    send_stream_ptr stream;
    CHECK(btrfs_ioctl_send(fs, s.s1, s.s0, &stream) == -EAGAIN);
    CHECK_FALSE(stream);
    CHECK(fs.send_in_progress == 0);
    fs.flags &= ~BTRFS_FS_BALANCE_RUNNING;

    fs.send_in_progress = 1;  // a send between its start and end
    CHECK(btrfs_balance(fs, metadata_balance()) == -EAGAIN);
    CHECK_FALSE(fs.flags & (BTRFS_FS_BALANCE_RUNNING | BTRFS_FS_EXCL_OP));
    // Before 1cea5cf0e664 only balance checked: a chunk relocation of device shrink/remove goes on.
    CHECK(btrfs_relocate_nth_block_group(fs, BTRFS_BLOCK_GROUP_METADATA, 0) == 0);
    fs.send_in_progress = 0;
    CHECK(btrfs_check(fs).empty());
  });
}

TEST_CASE("send vs relocation: without the fixes nothing excludes send and balance", "[model][send][race]") {
  snapshots s = make_snapshots(6, kernel("5.2"));
  btrfs_fs_info& fs = *s.fs;
  run_in_fiber([&] {
    fs.flags |= BTRFS_FS_BALANCE_RUNNING | BTRFS_FS_EXCL_OP;
    send_stream_ptr stream;
    REQUIRE(btrfs_ioctl_send(fs, s.s1, s.s0, &stream) == 0);
    fs.flags &= ~(BTRFS_FS_BALANCE_RUNNING | BTRFS_FS_EXCL_OP);
    std::string error;
    CHECK(btrfs_receive(fs.received_subvols, *stream, &error) == 0);
    CHECK(error.empty());
  });
}

TEST_CASE("send vs relocation: excl_op makes send an exclusive operation (-EBUSY both ways)", "[model][send][race]") {
  fix_set fixes = kernel("5.2");
  fixes.set("excl_op", true);
  snapshots s = make_snapshots(6, fixes);
  btrfs_fs_info& fs = *s.fs;
  run_in_fiber([&] {
    fs.flags |= BTRFS_FS_EXCL_OP;  // balance (or device add/remove/replace) holds it
    CHECK(btrfs_ioctl_send(fs, s.s1, s.s0, nullptr) == -EBUSY);
    fs.flags &= ~BTRFS_FS_EXCL_OP;
    // Send releases the bit when it ends; balance then runs.
    REQUIRE(btrfs_ioctl_send(fs, s.s1, s.s0, nullptr) == 0);
    CHECK_FALSE(fs.flags & BTRFS_FS_EXCL_OP);
    CHECK(btrfs_balance(fs, metadata_balance()) == 0);
  });
}

TEST_CASE("send vs relocation: 1cea5cf0e664 makes every chunk relocation exclude send", "[model][send][race]") {
  snapshots s = make_snapshots(6, kernel("5.14"));
  btrfs_fs_info& fs = *s.fs;
  run_in_fiber([&] {
    fs.send_in_progress = 1;
    CHECK(btrfs_relocate_nth_block_group(fs, BTRFS_BLOCK_GROUP_METADATA, 0) == -EAGAIN);
    CHECK_FALSE(fs.flags & BTRFS_FS_RELOC_RUNNING);
    fs.send_in_progress = 0;
    fs.flags |= BTRFS_FS_RELOC_RUNNING;  // between reloc_chunk_start and reloc_chunk_end
    CHECK(btrfs_ioctl_send(fs, s.s1, s.s0, nullptr) == -EAGAIN);
    CHECK(fs.send_in_progress == 0);
    fs.flags &= ~BTRFS_FS_RELOC_RUNNING;
  });
}

TEST_CASE("send vs relocation: d96b34248c2f records last_reloc_trans at commits during relocation only",
          "[model][send][race]") {
  for (const char* k : {"5.16", "5.17"}) {
    const bool fixed = std::string(k) == "5.17";
    snapshots s = make_snapshots(2, kernel(k));
    btrfs_fs_info& fs = *s.fs;
    run_in_fiber([&] {
      REQUIRE(btrfs_commit_current(fs) == 0);
      CHECK(fs.last_reloc_trans == 0);
      fs.flags |= BTRFS_FS_RELOC_RUNNING;
      auto trans = btrfs_join_transaction(fs);
      const uint64_t transid = trans.transid;
      REQUIRE(btrfs_commit_transaction(trans) == 0);
      fs.flags &= ~BTRFS_FS_RELOC_RUNNING;
      CHECK(fs.last_reloc_trans == (fixed ? transid : 0));
      // With the fix send and relocation no longer exclude each other.
      fs.send_in_progress = 1;
      CHECK(btrfs_relocate_nth_block_group(fs, BTRFS_BLOCK_GROUP_METADATA, 0) == (fixed ? 0 : -EAGAIN));
      fs.send_in_progress = 0;
    });
  }
}

TEST_CASE("send vs relocation: balance of metadata moves every block of the read-only snapshots out of the group",
          "[model][send][relocation]") {
  for (int files : {6, 60}) {
    INFO(files << " files");
    snapshots s = make_snapshots(files, kernel("5.2"));
    btrfs_fs_info& fs = *s.fs;
    const block_group_ptr bg = first_metadata_group(fs);
    REQUIRE(bg);
    const uint64_t group = bg->start, length = bg->length;
    run_in_fiber([&] {
      REQUIRE(btrfs_balance(fs, metadata_balance()) == 0);
      CHECK(fs.reloc_stats.tree_blocks_relocated > 0);
      CHECK(btrfs_lookup_block_group(fs, group) == nullptr);  // relocated, then its chunk removed
      for (uint64_t id : {s.s0, s.s1, uint64_t(BTRFS_FS_TREE_OBJECTID)}) {
        const btrfs_root& r = *fs.roots.at(id);
        CHECK((r.node < group || r.node >= group + length));
      }
      INFO(test::join_lines(btrfs_check(fs)));
      CHECK(btrfs_check(fs).empty());
      // The moved snapshots still send exactly what they hold.
      const auto diffs = test::send_receive(fs, s.s1, s.s0);
      INFO(test::join_lines(diffs));
      CHECK(diffs.empty());
    });
  }
}
