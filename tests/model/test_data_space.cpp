// Data space reservation (bytes_may_use): taken by writes before they have an extent, moved to
// bytes_reserved by the allocator, given back where no extent is allocated; -ENOSPC when the data space
// is full, except for writes that can go in place (EXTENT_NORESERVE).
#include <catch2/catch.hpp>

#include <cerrno>

#include "model/block_group.hpp"
#include "model/data/delalloc.hpp"
#include "model/data/fs_data_state.hpp"
#include "model/data/nocow.hpp"
#include "model/data/ordered_data.hpp"
#include "model/data/writeback.hpp"
#include "model/maint/cleaner.hpp"
#include "model/maint/snapshot.hpp"
#include "model/space_info.hpp"
#include "tests/model/test_data_fixture.hpp"

using namespace fsrace;
using namespace fsrace::model;
using namespace fsrace::test;

namespace {

constexpr uint64_t K = 1024, M = 1024 * K;

uint64_t may_use(btrfs_fs_info& fs) { return btrfs_data_sinfo(fs).bytes_may_use; }

// The first data group of a fresh filesystem, or the data group created last.
block_group_ptr data_group(btrfs_fs_info& fs, bool last) {
  const auto& groups = btrfs_data_sinfo(fs).block_groups;
  REQUIRE(!groups.empty());
  return btrfs_lookup_block_group(fs, last ? groups.back() : groups.front());
}

// Writes `inode` from offset 0 until the free space of `bg` but `left_free` bytes is used, one extent per
// free piece, lowest first (a piece is an extent of its own: one extent of the whole size would not fit
// where the super block stripe splits the group, and would get a new chunk), each committed.
void fill_group(btrfs_fs_info& fs, btrfs_inode& inode, const block_group_ptr& bg, uint64_t left_free, int seed) {
  const auto pieces = bg->free_space;
  uint64_t written = 0, to_write = bg->free_bytes() - left_free;
  for (const auto& [start, len] : pieces) {
    const uint64_t n = std::min(len, to_write - written);
    if (n == 0) break;
    MUST(btrfs_buffered_write(fs, inode, written, pattern_bytes(seed, written, n), "fill"));
    MUST(btrfs_sync_fs(fs));
    written += n;
  }
}

// One 128 MiB device: the first data group holds "fill" (all its free bytes but `left_free`), a second
// one all of the nodatacow file "n" (both committed), and every other byte of the device is given to
// metadata chunks: no data chunk can be allocated. The sizes come from the groups' free space: the group
// over the super block copy at 64 MiB holds 64 KiB less, in two pieces (exclude_super_stripes).
std::unique_ptr<btrfs_fs_info> full_data_fs(uint64_t left_free = 0) {
  mkfs_options opts;
  opts.device_sizes = {128 * M};
  auto fs = make_fs(opts);
  run_in_fiber([&] {
    btrfs_inode& fill = create_file(*fs, "fill");
    fill_group(*fs, fill, data_group(*fs, false), left_free, 2);
    MUST(btrfs_force_chunk_alloc(*fs, BTRFS_BLOCK_GROUP_DATA, 1));
    btrfs_inode& n = create_file(*fs, "n", true);
    fill_group(*fs, n, data_group(*fs, true), 0, 1);
    for (int i = 0; i < 16 && btrfs_force_chunk_alloc(*fs, BTRFS_BLOCK_GROUP_METADATA, 1) == 0; i++) {
    }
    btrfs_iput(*fs, n);
    btrfs_iput(*fs, fill);
  });
  return fs;
}

}  // namespace

TEST_CASE("a buffered write reserves its sectors, writeback turns the reservation into an extent", "[data][space]") {
  auto fs = make_fs();
  run_in_fiber([&] {
    btrfs_inode& inode = create_file(*fs, "c");
    const uint64_t reserved_before = btrfs_data_sinfo(*fs).bytes_reserved;
    MUST(btrfs_buffered_write(*fs, inode, 1000, pattern_bytes(1, 1000, 10 * K), "write c"));
    CHECK(may_use(*fs) == 12 * K);  // [0, 12K): the sectors the bytes touch
    // Dirtying the same sectors again gives the old reservation back first (btrfs_reset_extent_delalloc).
    MUST(btrfs_buffered_write(*fs, inode, 0, pattern_bytes(2, 0, 8 * K), "overwrite c"));
    CHECK(may_use(*fs) == 12 * K);
    MUST(btrfs_fdatawrite_range(*fs, inode, 0, ~0ull));
    CHECK(may_use(*fs) == 0);
    CHECK(btrfs_data_sinfo(*fs).bytes_reserved == reserved_before + 12 * K);
    MUST(btrfs_sync_fs(*fs));
    CHECK(btrfs_data_sinfo(*fs).bytes_reserved == reserved_before);
    btrfs_iput(*fs, inode);
  });
  CHECK(btrfs_check(*fs).empty());
}

TEST_CASE("nocow writeback and direct IO give their reservation back", "[data][space][nocow]") {
  auto fs = make_fs();
  run_in_fiber([&] {
    btrfs_inode& inode = create_file(*fs, "n", true);
    MUST(btrfs_buffered_write(*fs, inode, 0, pattern_bytes(1, 0, 64 * K), "write n"));
    MUST(btrfs_sync_fs(*fs));
    MUST(btrfs_buffered_write(*fs, inode, 16 * K, pattern_bytes(2, 16 * K, 16 * K), "overwrite n"));
    CHECK(may_use(*fs) == 16 * K);
    MUST(btrfs_fdatawrite_range(*fs, inode, 0, ~0ull));
    CHECK(fs->data_stats.nocow_extents == 1);
    CHECK(may_use(*fs) == 0);  // EXTENT_CLEAR_DATA_RESV: no extent was allocated
    const uint64_t used = btrfs_data_sinfo(*fs).bytes_used + btrfs_data_sinfo(*fs).bytes_reserved;
    MUST(btrfs_direct_write(*fs, inode, 48 * K, pattern_bytes(3, 48 * K, 8 * K), "dio n"));
    CHECK(fs->data_stats.dio_nocow == 1);
    CHECK(may_use(*fs) == 0);
    CHECK(btrfs_data_sinfo(*fs).bytes_used + btrfs_data_sinfo(*fs).bytes_reserved == used);
    btrfs_iput(*fs, inode);
  });
  CHECK(btrfs_check(*fs).empty());
  CHECK(btrfs_check_data_against_oracle(*fs).empty());
}

TEST_CASE("fallocate reserves the holes and its prealloc extents use the reservation", "[data][space]") {
  auto fs = make_fs();
  run_in_fiber([&] {
    btrfs_inode& inode = create_file(*fs, "p");
    const uint64_t before = btrfs_data_sinfo(*fs).bytes_reserved + btrfs_data_sinfo(*fs).bytes_used;
    MUST(btrfs_fallocate(*fs, inode, false, 0, 1 * M, "fallocate p"));
    CHECK(may_use(*fs) == 0);
    CHECK(btrfs_data_sinfo(*fs).bytes_reserved + btrfs_data_sinfo(*fs).bytes_used == before + 1 * M);
    btrfs_iput(*fs, inode);
  });
  CHECK(btrfs_check(*fs).empty());
}

TEST_CASE("a full data space refuses COW writes with -ENOSPC and admits nocow writes without a reservation",
          "[data][space][nocow]") {
  auto fs = full_data_fs();
  const btrfs_space_info& data = btrfs_data_sinfo(*fs);
  REQUIRE(btrfs_space_info_used(data) == data.total_bytes);
  run_in_fiber([&] {
    btrfs_inode& fill = open_file(*fs, "fill");
    CHECK(btrfs_buffered_write(*fs, fill, 0, pattern_bytes(3, 0, 4 * K), "overwrite fill") == -ENOSPC);
    CHECK(btrfs_direct_write(*fs, fill, 0, pattern_bytes(3, 0, 4 * K), "dio fill") == -ENOSPC);
    btrfs_inode& n = open_file(*fs, "n");
    const uint64_t n_size = n.i_size;
    MUST(btrfs_buffered_write(*fs, n, 8 * K, pattern_bytes(4, 8 * K, 8 * K), "overwrite n"));
    CHECK(may_use(*fs) == 0);
    CHECK(n.io_tree.noreserve.covers(8 * K, 16 * K));
    // Writing past the nocow extent: only the part inside it is written, the rest finds no space.
    CHECK(btrfs_buffered_write(*fs, n, n_size - 4 * K, pattern_bytes(5, n_size - 4 * K, 8 * K), "append n") == -ENOSPC);
    CHECK(n.i_size == n_size);
    MUST(btrfs_sync_file(*fs, n, 0, ~0ull));
    CHECK(may_use(*fs) == 0);
    CHECK(n.io_tree.noreserve.empty());  // cleared with EXTENT_DELALLOC
    btrfs_iput(*fs, n);
    btrfs_iput(*fs, fill);
  });
  CHECK(btrfs_check(*fs).empty());
}

TEST_CASE("an unreserved nocow range that falls back to COW: the underflow WARN without 467dc47ea99c",
          "[data][space][nocow]") {
  for (const bool fix : {false, true}) {
    // 1 MiB left free in the first data group: COW can allocate there, but while that group is read-only
    // its free space counts as bytes_readonly and the write's 4 KiB reservation fails. Then the group of
    // "n" is made read-only, as scrub does next, and writeback must COW.
    auto fs = full_data_fs(1 * M);
    fs->fixes = fix_set::all_on();
    if (!fix) fs->fixes.set("467dc47ea99c", false);
    sched::Scheduler s;
    s.spawn("test", [&] {
      btrfs_inode& n = open_file(*fs, "n");
      block_group_ptr nbg = btrfs_lookup_block_group(*fs, file_extents(*fs, n).at(0).fi.disk_bytenr);
      block_group_ptr free_bg = btrfs_lookup_first_block_group(*fs, 0);
      while (!(free_bg->flags & BTRFS_BLOCK_GROUP_DATA)) free_bg = btrfs_lookup_first_block_group(*fs, free_bg->end());
      MUST(btrfs_inc_block_group_ro(*fs, *free_bg, false));
      MUST(btrfs_buffered_write(*fs, n, 0, pattern_bytes(4, 0, 4 * K), "overwrite n"));
      must(n.io_tree.noreserve.covers(0, 4 * K) ? 0 : -EINVAL, "EXTENT_NORESERVE set");
      btrfs_dec_block_group_ro(*fs, *free_bg);
      MUST(btrfs_inc_block_group_ro(*fs, *nbg, false));
      MUST(btrfs_fdatawrite_range(*fs, n, 0, ~0ull));
      btrfs_dec_block_group_ro(*fs, *nbg);
      MUST(btrfs_sync_fs(*fs));
      btrfs_iput(*fs, n);
    });
    sched::RandomStrategy r;
    const sched::Execution e = s.run(r, 1);
    INFO("fix " << fix << ": " << e.finding.message);
    if (fix) {
      CHECK(e.finding.kind == sched::FindingKind::None);
      CHECK(btrfs_data_sinfo(*fs).bytes_may_use == 0);
      CHECK(fsck_and_oracle_problems(*fs).empty());
    } else {
      CHECK(e.finding.kind == sched::FindingKind::Warn);
      CHECK(e.finding.message.find("bytes_may_use underflow") != std::string::npos);
      CHECK(e.finding.message.find("btrfs_add_reserved_bytes") != std::string::npos);
    }
  }
}

TEST_CASE("the end-of-execution check of bytes_may_use is a model self-check", "[data][space][fsck]") {
  auto fs = make_fs();
  run_in_fiber([&] {
    btrfs_inode& inode = create_file(*fs, "c");
    MUST(btrfs_buffered_write(*fs, inode, 0, pattern_bytes(1, 0, 8 * K), "write c"));
    btrfs_iput(*fs, inode);
  });
  CHECK(btrfs_check(*fs).empty());  // 8 KiB of delalloc, 8 KiB reserved
  btrfs_data_sinfo(*fs).bytes_may_use += 4 * K;
  try {
    btrfs_check(*fs);
    FAIL("no tool error");
  } catch (const sched::FindingRaised& e) {
    CHECK(e.kind() == sched::FindingKind::ToolError);
    CHECK(std::string(e.message()).find("bytes_may_use") != std::string::npos);
  }
}

TEST_CASE("btrfs_check_nocow_lock backs off while a snapshot holds the root's snapshot_lock", "[data][space][nocow]") {
  auto fs = full_data_fs();
  run_in_fiber([&] {
    btrfs_inode& n = open_file(*fs, "n");
    btrfs_drew_lock& lock = btrfs_root_data_of(*fs, n.root).snapshot_lock;
    btrfs_drew_read_lock(lock);  // as btrfs_mksnapshot
    must(btrfs_buffered_write(*fs, n, 0, pattern_bytes(4, 0, 4 * K), "overwrite n") == -EAGAIN ? 0 : -EINVAL,
         "-EAGAIN while snapshotting");
    btrfs_drew_read_unlock(lock);
    MUST(btrfs_buffered_write(*fs, n, 0, pattern_bytes(4, 0, 4 * K), "overwrite n"));
    must(lock.writers == 0 && lock.readers == 0 ? 0 : -EINVAL, "snapshot_lock released");
    MUST(btrfs_sync_fs(*fs));
    btrfs_iput(*fs, n);
  });
  CHECK(fsck_and_oracle_problems(*fs).empty());
}

TEST_CASE("a snapshot's own flush writes unreserved nocow data in place only with 8ecebf4d767e", "[data][space][snapshot]") {
  for (const bool fix : {false, true}) {
    auto fs = full_data_fs();
    fs->fixes = fix_set::all_on();
    if (!fix) fs->fixes.set("8ecebf4d767e", false);
    run_in_fiber([&] {
      btrfs_inode& n = open_file(*fs, "n");
      MUST(btrfs_buffered_write(*fs, n, 0, pattern_bytes(4, 0, 4 * K), "overwrite n"));
      must(n.io_tree.noreserve.covers(0, 4 * K) ? 0 : -EINVAL, "EXTENT_NORESERVE set");
      MUST(btrfs_ioctl_snap_create(*fs, BTRFS_FS_TREE_OBJECTID, BTRFS_FS_TREE_OBJECTID, "snap", true, nullptr));
      btrfs_iput(*fs, n);
    });
    const auto problems = btrfs_check_data_against_oracle(*fs);
    INFO("fix " << fix);
    if (fix) {
      CHECK(problems.empty());
    } else {
      REQUIRE(!problems.empty());
      CHECK(problems[0].find("lost data") != std::string::npos);
    }
    CHECK(btrfs_check(*fs).empty());
  }
}
