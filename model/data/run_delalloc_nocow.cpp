// run_delalloc_nocow and can_nocow_file_extent (6.1 inode.c): writeback of a NODATACOW or PREALLOC inode
// walks the file's extent items by path and slot, as the kernel does. The path is let go of where 6.1
// lets go of it (can_nocow_file_extent's btrfs_release_path, btrfs_next_leaf at the end of a leaf), and
// the tree may change there: ordered extents of other ranges complete and split the items around ours.
#include <algorithm>
#include <cerrno>

#include "model/block_group.hpp"
#include "model/ctree.hpp"
#include "model/data/extent_map.hpp"
#include "model/data/file_extent.hpp"
#include "model/data/file_item.hpp"
#include "model/data/fs_data_state.hpp"
#include "model/data/inode.hpp"
#include "model/data/ordered_data.hpp"
#include "model/data/writeback.hpp"
#include "model/fs_info.hpp"
#include "scheduler/finding.hpp"

namespace fsrace::model {
namespace {

constexpr uint64_t kNone = ~0ull;
// Slots visited between two scheduling points: at most a leaf's items, then the walk searches again or
// moves to the next leaf (both scheduling points). A livelock through them is the scheduler's step limit.
constexpr size_t kMaxSlotsPerStep = 1u << 20;

// can_nocow_file_extent (writeback path): "If there are pending snapshots for this root, we must COW."
// 8ecebf4d767e counts them in snapshot_force_cow, raised once the snapshot's own flush has started, so
// what was written before the snapshot still goes in place. Before it the test was will_be_snapshotted
// (6.1's snapshot_lock readers), raised before that flush: the snapshot's flush COWed the nocow writes
// that had reserved no data space, and with the data space full their writeback failed with -ENOSPC.
bool snapshot_forces_cow(btrfs_fs_info& fs_info, uint64_t root) {
  const btrfs_root_data& rd = btrfs_root_data_of(fs_info, root);
  return fs_info.fixes.has("8ecebf4d767e") ? rd.snapshot_force_cow > 0 : rd.snapshot_lock.readers > 0;
}

struct can_nocow_file_extent_args {
  uint64_t start = 0, end = 0;  // [start, end) of the delalloc range still to write
  bool force = false;           // BTRFS_INODE_NODATACOW: regular extents may be written in place too
  uint64_t disk_bytenr = 0;     // outputs, set when it returns true: where `start` lies on disk
  uint64_t num_bytes = 0;       // bytes from `start` that may be written in place
};

// can_nocow_file_extent: may the item at the path (key, fi) be written in place from args.start? The
// cheap checks keep the path; the others need other locks and let go of it first (btrfs_release_path),
// as 6.1: the caller then searches again. 6.1's file extent generation test against last_snapshot is
// implied by btrfs_cross_ref_exist's (the extent's generation). btrfs_extent_readonly is the model's
// (6.1 leaves the read-only test to btrfs_inc_nocow_writers, which the caller still asks).
bool can_nocow_file_extent(btrfs_fs_info& fs_info, btrfs_path& path, const btrfs_key& key,
                           const btrfs_file_extent_item& fi, btrfs_inode& inode, can_nocow_file_extent_args& args) {
  FSRACE_MODEL_CHECK(fi.type != BTRFS_FILE_EXTENT_INLINE, "run_delalloc_nocow ino {}: inline extents are not modelled",
                     inode.ino);
  if (!args.force && fi.type == BTRFS_FILE_EXTENT_REG) return false;
  if (fi.disk_bytenr == 0) return false;  // an explicit hole
  const uint64_t extent_end = key.offset + fi.num_bytes;
  path.release();
  if (btrfs_extent_readonly(fs_info, fi.disk_bytenr)) return false;
  if (btrfs_cross_ref_exist(fs_info, inode.root, inode.ino, key.offset - fi.offset, fi.disk_bytenr, fi.disk_num_bytes))
    return false;
  if (snapshot_forces_cow(fs_info, inode.root)) return false;
  args.disk_bytenr = fi.disk_bytenr + fi.offset + (args.start - key.offset);
  args.num_bytes = std::min(args.end, extent_end) - args.start;
  // "Force COW if csums exist in the range."
  return !csum_exist_in_range(fs_info, args.disk_bytenr, args.num_bytes);
}

}  // namespace

int run_delalloc_nocow(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end, bool force) {
  btrfs_root* root = fs_info.get_fs_root(inode.root);
  FSRACE_MODEL_CHECK(root != nullptr, "inode {} of missing root {}", inode.ino, inode.root);
  const uint64_t ino = inode.ino;
  // de7999afedff: an item is skipped when it ends at or before cur_offset. Before it, only when it ended
  // at or before the start of the range: an item already written (from cur_offset back), found again
  // after btrfs_next_leaf searched from a key another range's ordered extent completion had split,
  // gave a 0-byte nocow range.
  const bool skip_to_cur = fs_info.fixes.has("de7999afedff");
  // As 6.1: no transaction handle across the loop (fallback_to_cow may allocate a chunk, which joins).
  btrfs_path path;
  uint64_t cow_start = kNone, cur = start;
  can_nocow_file_extent_args args;
  args.end = end;
  args.force = force;
  bool check_prev = true, search = true, failed = false;
  int ret = 0;
  size_t slots = 0;  // visited since the last scheduling point
  for (;;) {
    if (search) {  // the top of 6.1's loop
      sched::point(sched::L("btrfs_lookup_file_extent(ino {} off {})", ino, cur));
      slots = 0;
      search = false;
      ret = btrfs_lookup_file_extent(fs_info, *root, path, ino, cur);
      if (ret < 0) {
        failed = true;
        break;
      }
      // Not found: the previous slot may hold the item that covers cur (the first search only).
      if (ret > 0 && path.slots[0] > 0 && check_prev) {
        const btrfs_key& prev = btrfs_path_block(fs_info, path, 0)->key_at(uint32_t(path.slots[0] - 1));
        if (prev.objectid == ino && prev.type == BTRFS_EXTENT_DATA_KEY) path.slots[0]--;
      }
      check_prev = false;
    }
    // next_slot:
    FSRACE_MODEL_CHECK(++slots < kMaxSlotsPerStep, "run_delalloc_nocow ino {}: runaway scan", ino);
    if (path.slots[0] >= int(btrfs_path_block(fs_info, path, 0)->nritems())) {
      // Lets go of the path and searches again from the leaf's last key: a scheduling point.
      ret = btrfs_next_leaf(fs_info, *root, path, true);
      slots = 0;
      if (ret < 0) {
        if (cow_start != kNone) cur = cow_start;
        failed = true;
        break;
      }
      if (ret > 0) {  // no leaf after it
        ret = 0;
        break;
      }
    }
    const btrfs_item& item = btrfs_path_item(fs_info, path);
    const btrfs_key key = item.key;
    if (key.objectid > ino) break;
    FSRACE_WARN_ON(key.objectid < ino, "run_delalloc_nocow ino {}: item of ino {} in its walk", ino, key.objectid);
    if (key.type < BTRFS_EXTENT_DATA_KEY) {
      path.slots[0]++;
      continue;
    }
    if (key.type > BTRFS_EXTENT_DATA_KEY || key.offset >= end) break;

    uint64_t extent_end = 0;
    uint8_t extent_type = 0;
    bool nocow = false;
    if (key.offset > cur) {  // a hole before the item: COW up to it
      extent_end = key.offset;
    } else {
      const btrfs_file_extent_item fi = std::get<btrfs_file_extent_item>(item.value);
      extent_type = fi.type;
      extent_end = key.offset + fi.num_bytes;
      // The kernel's line of de7999afedff (before it: `extent_end <= start`).
      if (extent_end <= (skip_to_cur ? cur : start)) {
        path.slots[0]++;
        continue;
      }
      args.start = cur;
      // f78c436c3931: btrfs_inc_nocow_writers refuses (with the fix) once the block group is read-only.
      nocow = can_nocow_file_extent(fs_info, path, key, fi, inode, args) &&
              btrfs_inc_nocow_writers(fs_info, args.disk_bytenr);
    }
    // out_check:
    if (!nocow) {
      if (cow_start == kNone) cow_start = cur;
      cur = extent_end;
      if (cur >= end) break;
      if (path.nodes[0] == 0) {  // can_nocow_file_extent let go of the path
        search = true;
        continue;
      }
      path.slots[0]++;
      continue;
    }
    if (cow_start != kNone) {  // COW from cow_start to the item's key, then write the item in place
      ret = fallback_to_cow(fs_info, inode, cow_start, key.offset);
      if (ret) {
        btrfs_dec_nocow_writers(fs_info, args.disk_bytenr);
        failed = true;
        break;
      }
      cow_start = kNone;
    }
    const uint64_t num = args.num_bytes;
    const bool prealloc = extent_type == BTRFS_FILE_EXTENT_PREALLOC;
    if (prealloc) {
      create_io_em(inode, cur, num, args.disk_bytenr, true);
    } else {
      FSRACE_MODEL_CHECK(num > 0, "run_delalloc_nocow ino {}: a 0-byte NOCOW ordered extent at {} is not modelled", ino,
                         cur);
    }
    btrfs_add_ordered_extent(fs_info, inode, cur, args.disk_bytenr, num, num,
                             prealloc ? BTRFS_ORDERED_PREALLOC : BTRFS_ORDERED_NOCOW);
    btrfs_dec_nocow_writers(fs_info, args.disk_bytenr);
    clear_delalloc_after_ordered(fs_info, inode, cur, cur + num, true);
    fs_info.data_stats.nocow_extents++;
    cur = extent_end;
    if (cur >= end) break;
    search = true;
  }
  if (!failed) {
    path.release();
    if (cur < end && cow_start == kNone) cow_start = cur;
    if (cow_start != kNone) {
      cur = end;
      ret = fallback_to_cow(fs_info, inode, cow_start, end);
    }
  }
  // error: the rest of the range gets no extent; its dirty data is dropped.
  if (ret && cur < end) fail_delalloc_range(fs_info, inode, cur, end, ret);
  return ret;
}

}  // namespace fsrace::model
