// Pieces of scrub shared by its files (not for other modules).
#pragma once
#include <cstdint>
#include <map>
#include <memory>

#include "model/maint/scrub_state.hpp"
#include "model/volumes.hpp"

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
