// btrfs_trim_fs and what it calls, in 6.1's order. Not modelled: free space bitmaps (trim_bitmaps; the
// model keeps extents only), the CHUNK_TRIMMED bits that let a later FITRIM skip device space already
// discarded (a second FITRIM discards the unallocated space again, which holds nothing), the super block
// mirrors btrfs_issue_discard steps around (the model writes no super block copy inside chunks), the bio
// counter against device replace (btrfs_bio_counter_inc_blocked), async discard (-o discard=async); the
// device space of a replace target is not trimmed (see btrfs_trim_fs).
#include "model/maint/fitrim.hpp"

#include <algorithm>
#include <cerrno>
#include <vector>

#include <fmt/format.h>

#include "model/block_group.hpp"
#include "model/discard.hpp"
#include "model/fs_info.hpp"
#include "model/volumes.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

constexpr uint64_t kDeviceRangeReserved = 1024 * 1024;  // BTRFS_DEVICE_RANGE_RESERVED
constexpr uint64_t kMaxLoop = 1u << 20;                 // extents of a group, holes of a device

// do_trimming: the extent [reserved_start, +reserved_bytes) was taken out of the free space; reserve it
// unless the group is read-only, discard [start, +bytes), put the whole extent back, unreserve.
int do_trimming(btrfs_fs_info& fs_info, btrfs_block_group_cache& bg, uint64_t* total_trimmed, uint64_t start,
                uint64_t bytes, uint64_t reserved_start, uint64_t reserved_bytes) {
  btrfs_space_info& sinfo = btrfs_find_space_info(fs_info, bg.flags);
  // space_info->lock, block_group->lock.
  sched::point(sched::L("do_trimming(bg {}, {})", bg.start, start));
  bool update = false;
  if (!bg.ro) {
    bg.reserved += reserved_bytes;
    sinfo.bytes_reserved += reserved_bytes;
    update = true;
  }
  uint64_t trimmed = 0;
  const int ret = btrfs_discard_extent(fs_info, start, bytes, &trimmed);
  if (!ret) *total_trimmed += trimmed;
  // cache_writeout_mutex: __btrfs_add_free_space of the whole extent taken.
  sched::point(sched::L("__btrfs_add_free_space(bg {}, {})", bg.start, reserved_start));
  btrfs_add_free_space(bg, reserved_start, reserved_bytes);
  if (update) {
    sched::point(sched::L("do_trimming(bg {}): unreserve {}", bg.start, reserved_bytes));
    if (bg.ro) sinfo.bytes_readonly += reserved_bytes;
    bg.reserved -= reserved_bytes;
    sinfo.bytes_reserved -= reserved_bytes;
  }
  return ret;
}

// trim_no_bitmap (not async): each free extent overlapping [start, end) at least minlen long, in order.
int trim_no_bitmap(btrfs_fs_info& fs_info, btrfs_block_group_cache& bg, uint64_t* total_trimmed, uint64_t start,
                   uint64_t end, uint64_t minlen) {
  for (uint64_t n = 0; start < end; ++n) {
    FSRACE_MODEL_CHECK(n < kMaxLoop, "trim_no_bitmap: runaway loop over bg {}", bg.start);
    // cache_writeout_mutex and ctl->tree_lock: the search and unlink_free_space are one step.
    sched::point(sched::L("trim_no_bitmap(bg {}, from {})", bg.start, start));
    if (bg.free_bytes() < minlen) break;
    // tree_search_offset(ctl, start, 0, 1): the entry containing start, else the next one.
    auto it = bg.free_space.upper_bound(start);
    if (it != bg.free_space.begin() && std::prev(it)->first + std::prev(it)->second > start) --it;
    if (it == bg.free_space.end() || it->first >= end) break;
    const uint64_t extent_start = it->first, extent_bytes = it->second;
    start = std::max(start, extent_start);
    const uint64_t bytes = std::min(extent_start + extent_bytes, end) - start;
    if (bytes < minlen) {
      start += bytes;
      continue;
    }
    bg.free_space.erase(it);
    if (int ret = do_trimming(fs_info, bg, total_trimmed, start, bytes, extent_start, extent_bytes)) return ret;
    start += bytes;
  }
  return 0;
}

// btrfs_trim_block_group: 04216820fe83 skips a removed group and freezes the group around the trim.
int btrfs_trim_block_group(btrfs_fs_info& fs_info, btrfs_block_group_cache& bg, uint64_t* trimmed, uint64_t start,
                           uint64_t end, uint64_t minlen) {
  *trimmed = 0;
  const bool freeze = fs_info.fixes.has("04216820fe83");
  sched::point(sched::L("btrfs_trim_block_group(bg {})", bg.start));  // spin_lock(&block_group->lock)
  if (freeze) {
    if (bg.removed) return 0;  // BLOCK_GROUP_FLAG_REMOVED
    btrfs_freeze_block_group(bg);
  }
  const int ret = trim_no_bitmap(fs_info, bg, trimmed, start, end, minlen);
  if (freeze) btrfs_unfreeze_block_group(fs_info, bg);
  return ret;
}

// btrfs_next_block_group: the next group in block_group_cache_tree; from the end of a removed one.
block_group_ptr btrfs_next_block_group(btrfs_fs_info& fs_info, const block_group_ptr& cache) {
  auto it = fs_info.block_group_cache_tree.find(cache->start);
  if (it == fs_info.block_group_cache_tree.end() || it->second != cache)
    return btrfs_lookup_first_block_group(fs_info, cache->end());  // RB_EMPTY_NODE: a full search
  ++it;
  return it == fs_info.block_group_cache_tree.end() ? nullptr : it->second;
}

// The first hole at or after `from` on the device outside every chunk stripe of the mapping tree (the
// CHUNK_ALLOCATED bits of device->alloc_state), as [*start, *end). False when none is left.
bool first_unallocated(btrfs_fs_info& fs_info, const btrfs_device& dev, uint64_t from, uint64_t* start, uint64_t* end) {
  std::vector<std::pair<uint64_t, uint64_t>> used;
  for (const auto& [logical, map] : fs_info.mapping_tree)
    for (const auto& s : map->stripes)
      if (s.dev == dev.handle) used.emplace_back(s.physical, s.physical + map_stripe_size(*map));
  std::sort(used.begin(), used.end());
  uint64_t cursor = from;
  for (const auto& [s, e] : used) {
    if (e <= cursor) continue;
    if (s > cursor) break;
    cursor = e;
  }
  if (cursor >= dev.total_bytes) return false;
  uint64_t hole_end = dev.total_bytes;
  for (const auto& [s, e] : used)
    if (s >= cursor) {
      hole_end = s;
      break;
    }
  *start = cursor;
  *end = hole_end;
  return true;
}

// btrfs_trim_free_extents: each unallocated hole of the device, discarded under chunk_mutex (no chunk
// can be allocated over it meanwhile).
int btrfs_trim_free_extents(btrfs_fs_info& fs_info, btrfs_device& dev, uint64_t* trimmed) {
  *trimmed = 0;
  if (dev.missing || dev.total_bytes <= dev.bytes_used) return 0;
  uint64_t start = kDeviceRangeReserved;
  for (uint64_t n = 0; n < kMaxLoop; ++n) {
    fs_info.chunk_mutex.lock();
    uint64_t hole_start = 0, hole_end = 0;
    if (!first_unallocated(fs_info, dev, start, &hole_start, &hole_end)) {
      fs_info.chunk_mutex.unlock();
      return 0;
    }
    uint64_t bytes = 0;
    const int ret = btrfs_issue_discard(fs_info, dev.devid, hole_start, hole_end - hole_start, &bytes);
    fs_info.chunk_mutex.unlock();
    if (ret) return ret;
    *trimmed += bytes;
    start = hole_end;
  }
  FSRACE_MODEL_CHECK(false, "btrfs_trim_free_extents: runaway loop on devid {}", dev.devid);
  return 0;
}

}  // namespace

int btrfs_trim_fs(btrfs_fs_info& fs_info, uint64_t start, uint64_t minlen, uint64_t* trimmed) {
  *trimmed = 0;
  sched::point(sched::L("btrfs_trim_fs(start {}, minlen {})", start, minlen));
  int bg_ret = 0, dev_ret = 0;
  uint64_t bg_failed = 0, dev_failed = 0;
  block_group_ptr cache = btrfs_lookup_first_block_group(fs_info, start);
  for (uint64_t n = 0; cache; cache = btrfs_next_block_group(fs_info, cache), ++n) {
    FSRACE_MODEL_CHECK(n < kMaxLoop, "btrfs_trim_fs: runaway walk of the block groups");
    const uint64_t s = std::max(start, cache->start), e = cache->end();
    if (e - s < minlen) continue;
    uint64_t group_trimmed = 0;
    const int ret = btrfs_trim_block_group(fs_info, *cache, &group_trimmed, s, e, minlen);
    *trimmed += group_trimmed;
    if (ret) {
      bg_failed++;
      bg_ret = ret;
    }
  }
  if (bg_failed)
    fs_info.log(fmt::format("BTRFS warning: failed to trim {} block group(s), last error {}", bg_failed, bg_ret));
  fs_info.device_list_mutex.lock();
  std::vector<uint64_t> devids;
  for (const auto& [devid, dev] : fs_info.devices) devids.push_back(devid);
  for (uint64_t devid : devids) {
    btrfs_device* dev = fs_info.device(devid);
    // The replace target is skipped: in the kernel its alloc_state gets the source's CHUNK_ALLOCATED
    // bits only when replace finishes (btrfs_set_target_alloc_state), which the model does not track;
    // discarding its "unallocated" space would invent the loss of what replace copied.
    if (!dev || dev->is_tgtdev_for_dev_replace) continue;
    uint64_t group_trimmed = 0;
    if (int ret = btrfs_trim_free_extents(fs_info, *dev, &group_trimmed)) {
      dev_failed++;
      dev_ret = ret;
      continue;
    }
    *trimmed += group_trimmed;
  }
  fs_info.device_list_mutex.unlock();
  if (dev_failed)
    fs_info.log(fmt::format("BTRFS warning: failed to trim {} device(s), last error {}", dev_failed, dev_ret));
  return bg_ret ? bg_ret : dev_ret;
}

}  // namespace fsrace::model
