// Pieces of scrub shared by its files (not for other modules).
#pragma once
#include <cstdint>
#include <map>
#include <memory>

#include "model/footprints.hpp"
#include "model/maint/scrub_state.hpp"
#include "model/volumes.hpp"
#include "scheduler/footprint.hpp"

namespace fsrace::model {

struct btrfs_fs_info;
struct btrfs_block_group_cache;

// struct scrub_ctx: one running scrub (or replace copy) of one device. Lives on the scrubbing fiber's
// stack; `stat` is fs_info->scrub_devices[devid].stat.
struct scrub_ctx {
  btrfs_fs_info& fs_info;
  uint64_t devid = 0;
  bool is_dev_replace = false;
  bool readonly = false;
  btrfs_scrub_progress& stat;
  // sctx->wr_tgtdev: the replace target as scrub_setup_ctx read dev_replace->tgtdev, at the start of
  // btrfs_scrub_dev; the copy writes through this pointer (scrub_write_block_to_dev_replace) whatever
  // happens to the device afterwards.
  std::shared_ptr<btrfs_device> wr_tgtdev;
};

// One extent (or the part of it inside the stripe) found in the extent tree's commit root.
struct scrub_extent_ref {
  uint64_t logical = 0, len = 0;
  uint64_t physical = 0;    // on the scrubbed device
  uint64_t flags = 0;       // BTRFS_EXTENT_FLAG_DATA / BTRFS_EXTENT_FLAG_TREE_BLOCK
  uint64_t generation = 0;  // of the extent item (tree blocks: expected header generation)
  int mirror_num = 1;       // the scrubbed copy's mirror number
};

// Footprints of the scrub and replace copy (model/footprints.hpp). fs_info->dmesg (fs_info.log): fp::kernel_log().
inline constexpr uint64_t kScrubKernelLog = fp::kernel_log();

// Scrub's own code between its device reads and writes: the scrub contexts, counters and pause/cancel
// requests, its stats (fs_info->scrub_devices, scrub_results, scrub_totals: Scrub), fs_info->dev_replace
// (cursors, error counters, state, tgtdev: Replace), block groups looked up and their removed/ro/used
// read (every BlockGroup), the chunk mapping and the device list (ChunkMap) and every device's state
// (sizes, missing, freed, devid, is_tgtdev_for_dev_replace), read. Locks, the pause wait queue and the
// counters the model keeps as primitives add their own objects. Logging opens scrub_log_claim.
inline sched::Footprint scrub_claim() {
  return sched::declared()
      .writes_to(fp::scrub())
      .writes_to(fp::replace())
      .touch_kind(sched::ObjectKind::BlockGroup, false)
      .reads_from(fp::chunk_map())
      .touch_kind(sched::ObjectKind::Device, false);
}
// Scrub's code plus one log line (the kernel log is written).
inline sched::Footprint scrub_log_claim() { return scrub_claim().writes_to(kScrubKernelLog); }
// Scrub's code reading a path's blocks in the buffer cache (every Tree and Bytenr, read).
inline sched::Footprint commit_root_read_claim() {
  return scrub_claim().touch_kind(sched::ObjectKind::Tree, false).touch_kind(sched::ObjectKind::Bytenr, false);
}
// A search of a commit root (btrfs_search_slot, btrfs_next_leaf on a search_commit_root path) and the
// reads of the path's blocks: the root's commit root fields and the blocks in the buffer cache (read:
// every Tree and Bytenr), a block missing from the cache read from a mirror (btrfs_map_block: the chunk
// mapping, every device's state, fs_info->dev_replace; every device's contents) and put in the buffer
// cache, which every tree shares (written: every Tree and Bytenr), a bad block logged.
inline sched::Footprint commit_root_search_claim() {
  return scrub_claim()
      .touch_kind(sched::ObjectKind::Tree)
      .touch_kind(sched::ObjectKind::Bytenr)
      .touch_kind(sched::ObjectKind::DeviceData, false)
      .reads_from(fp::replace())
      .writes_to(kScrubKernelLog);
}

int scrub_enumerate_chunks(scrub_ctx& sctx, uint64_t start, uint64_t end);
int scrub_chunk(scrub_ctx& sctx, uint64_t chunk_offset, uint64_t length, uint64_t dev_offset,
                btrfs_block_group_cache& cache);
// `cache`: the block group scrubbed (2473d24f2b77: the walk stops once it was removed).
int scrub_stripe(scrub_ctx& sctx, const map_lookup& map, int num, uint64_t chunk_offset, uint64_t length,
                 const btrfs_block_group_cache& cache);
int scrub_extent(scrub_ctx& sctx, const scrub_extent_ref& ext);

// btrfs_lookup_csums_range(csum_root, start, end, list, search_commit = 1): the checksums of the
// sectors of [start, end) in the csum tree's commit root (sector bytenr -> crc32c). Yields per block.
int scrub_lookup_csums(btrfs_fs_info& fs_info, uint64_t start, uint64_t end, std::map<uint64_t, uint32_t>& out);

}  // namespace fsrace::model
