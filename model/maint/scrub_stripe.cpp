// scrub_stripe: the extents of one chunk stripe on the scrubbed device, found in the extent tree's
// commit root. The kernel walks the stripe 64 KiB (stripe_len) at a time and checks for a pause
// request at each step; walking extent by extent (for RAID10, the pieces of each extent this stripe
// holds) and checking before each one gives the same behaviour with fewer steps. After a pause the walk
// searches again from where it stopped, as the kernel does on its next 64 KiB step, so it sees the
// commit root of the transaction that paused it.
#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "model/block_group.hpp"
#include "model/ctree.hpp"
#include "model/data/file_item.hpp"
#include "model/fs_info.hpp"
#include "model/maint/scrub.hpp"
#include "model/maint/scrub_internal.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {

int scrub_lookup_csums(btrfs_fs_info& fs_info, uint64_t start, uint64_t end, std::map<uint64_t, uint32_t>& out) {
  // The csum tree's commit root searched and its items read; `out` is the caller's.
  sched::FootprintScope scope(commit_root_search_claim());
  // An item covering `start` begins at most MAX_CSUMS_PER_ITEM sectors before it.
  const uint64_t span = uint64_t(MAX_CSUMS_PER_ITEM) * fs_info.sectorsize;
  const uint64_t from = start > span ? start - span : 0;
  btrfs_root& root = fs_info.csum_root();
  btrfs_path path(true, true);
  int ret = btrfs_search_slot(fs_info, root, {BTRFS_EXTENT_CSUM_OBJECTID, BTRFS_EXTENT_CSUM_KEY, from}, path);
  if (ret < 0) return ret;
  for (;;) {  // bounded: every step moves to the next item
    const tree_block* leaf = btrfs_path_block(fs_info, path, 0);
    FSRACE_MODEL_CHECK(leaf, "csum tree commit root leaf {} not cached", path.nodes[0]);
    if (path.slots[0] >= int(leaf->nritems())) {
      ret = btrfs_next_leaf(fs_info, root, path);
      if (ret < 0) return ret;
      if (ret > 0) return 0;
      continue;
    }
    const btrfs_item& item = leaf->items[path.slots[0]];
    if (item.key.objectid != BTRFS_EXTENT_CSUM_OBJECTID || item.key.type != BTRFS_EXTENT_CSUM_KEY ||
        item.key.offset >= end)
      return 0;
    const auto& sums = std::get<btrfs_csum_item>(item.value).csums;
    for (size_t i = 0; i < sums.size(); ++i) {
      const uint64_t bytenr = item.key.offset + i * fs_info.sectorsize;
      if (bytenr >= start && bytenr < end) out[bytenr] = sums[i];
    }
    path.slots[0]++;
  }
}

int scrub_stripe(scrub_ctx& sctx, const map_lookup& map, int num, uint64_t chunk_offset, uint64_t length,
                 const btrfs_block_group_cache& cache) {
  // commit_root_read_claim: the cancel and pause requests (Scrub; scrub_blocked_if_needed: Scrub and
  // primitives), the group's removed flag, the extent tree's items in the buffer cache, the chunk map's
  // stripes (map_stripe_piece), the device's stats (Scrub). Searches, scrub_extent and the log open their
  // own scopes.
  sched::FootprintScope scope(commit_root_read_claim());
  btrfs_fs_info& fs_info = sctx.fs_info;
  // 2473d24f2b77: "Block group removed?" under cache->lock before each extent search (6.1's
  // scrub_simple_mirror): nothing left to scrub, and continuing would keep its device extents from reuse.
  const bool stop_if_removed = fs_info.fixes.has("2473d24f2b77");
  btrfs_root& root = fs_info.extent_root();
  const uint64_t physical = map.stripes[num].physical;
  // `length` is the dev extent's; the stripe covers the chunk's whole logical range.
  const uint64_t logic_end = chunk_offset + map.length;
  uint64_t cursor = chunk_offset;  // everything below is scrubbed
  btrfs_path path(true, true);
  for (uint64_t pass = 0;; ++pass) {
    FSRACE_MODEL_CHECK(pass < (1u << 20), "scrub_stripe of chunk {} does not progress", chunk_offset);
    // 6.1's scrub_simple_mirror, before each extent search: "Canceled?", "Paused?", "Block group removed?".
    // The per-device request (sctx->cancel_req, btrfs_scrub_cancel_dev) is not modelled.
    if (fs_info.scrub_cancel_req) return -ECANCELED;
    if (fs_info.scrub_pause_req) scrub_blocked_if_needed(fs_info);
    if (stop_if_removed && cache.removed) return 0;
    int ret = 0;
    {
      sched::FootprintScope search(commit_root_search_claim());
      ret = btrfs_search_slot(fs_info, root, {cursor, 0, 0}, path);
    }
    if (ret < 0) return ret;
    bool done = false, pause = false;
    while (!done && !pause) {
      const tree_block* leaf = btrfs_path_block(fs_info, path, 0);
      FSRACE_MODEL_CHECK(leaf, "extent tree commit root leaf {} not cached", path.nodes[0]);
      if (path.slots[0] >= int(leaf->nritems())) {
        {
          sched::FootprintScope search(commit_root_search_claim());
          ret = btrfs_next_leaf(fs_info, root, path);
        }
        if (ret < 0) return ret;
        done = ret > 0;
        continue;
      }
      const btrfs_item& item = leaf->items[path.slots[0]];
      const btrfs_key key = item.key;
      if (key.type != BTRFS_EXTENT_ITEM_KEY && key.type != BTRFS_METADATA_ITEM_KEY) {
        path.slots[0]++;
        continue;
      }
      const uint64_t bytes = key.type == BTRFS_METADATA_ITEM_KEY ? fs_info.nodesize : key.offset;
      if (key.objectid + bytes <= cursor) {
        path.slots[0]++;
        continue;
      }
      if (key.objectid >= logic_end) {
        done = true;
        break;
      }
      if (stop_if_removed && cache.removed) return 0;
      const auto& ei = std::get<btrfs_extent_item>(item.value);
      scrub_extent_ref ext;
      ext.flags = ei.flags;
      ext.generation = ei.generation;
      if ((ext.flags & BTRFS_EXTENT_FLAG_TREE_BLOCK) && (key.objectid < chunk_offset || key.objectid + bytes > logic_end)) {
        sched::FootprintScope log(scrub_log_claim());
        fs_info.log(fmt::format("BTRFS error: scrub: tree block {} spanning stripes, ignored. logical={}", key.objectid,
                                chunk_offset));
        sctx.stat.uncorrectable_errors++;
      } else {
        // Trim the extent to this stripe: the chunk's bytes this stripe holds (for RAID10, every
        // factor-th BTRFS_STRIPE_LEN unit, from offset stripe_len * (num / sub_stripes), mirror
        // num % sub_stripes + 1, as scrub_simple_stripe walks them; the whole chunk otherwise).
        const uint64_t from = std::max({key.objectid, chunk_offset, cursor});
        const uint64_t to = std::min(key.objectid + bytes, logic_end);
        const int mirror = (map.type & BTRFS_BLOCK_GROUP_RAID10) ? num % map.sub_stripes + 1 : num + 1;
        for (uint64_t at = from; at < to;) {  // bounded: each piece is at least a sector
          const stripe_piece piece = map_stripe_piece(map, at - chunk_offset, mirror);
          const uint64_t n = std::min(to - at, piece.len);
          if (piece.index == size_t(num)) {
            ext.logical = at;
            ext.len = n;
            ext.physical = piece.physical;
            ext.mirror_num = mirror;
            ret = scrub_extent(sctx, ext);  // yields: the leaf is looked up again afterwards
            if (ret) return ret;
          }
          at += n;
        }
      }
      cursor = key.objectid + bytes;
      if (!(map.type & BTRFS_BLOCK_GROUP_RAID10))
        sctx.stat.last_physical = physical + (std::min(cursor, logic_end) - chunk_offset);
      path.slots[0]++;
      // A pause or cancel request is looked at before the next extent, as 6.1 does per extent.
      pause = fs_info.scrub_pause_req != 0 || fs_info.scrub_cancel_req != 0;
    }
    path.release();
    if (done) break;
  }
  sctx.stat.last_physical = physical + length;
  return 0;
}

}  // namespace fsrace::model
