// Data checksums in the csum tree (fs/btrfs/file-item.c): EXTENT_CSUM items keyed
// (BTRFS_EXTENT_CSUM_OBJECTID, EXTENT_CSUM, logical bytenr), one crc32c per sector.
#pragma once
#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "model/data/ordered_extent.hpp"

namespace fsrace::model {

struct btrfs_fs_info;
struct btrfs_trans_handle;

// Largest number of checksums in one csum item (items are split like the kernel's leaves fill up).
constexpr uint32_t MAX_CSUMS_PER_ITEM = 256;

// btrfs_csum_one_bio: the checksums of `data` (whole sectors) written at `bytenr`.
btrfs_ordered_sum btrfs_csum_one_bio(uint64_t bytenr, std::span<const uint8_t> data);
// btrfs_csum_file_blocks: inserts checksums into the csum tree. Stale checksums already covering the
// range (a freed extent whose csums were not deleted) are replaced and logged.
int btrfs_csum_file_blocks(btrfs_trans_handle& trans, const btrfs_ordered_sum& sums);
// btrfs_del_csums: deletes the checksums of [bytenr, bytenr + len), trimming or splitting items.
// Called when a data extent is freed (__btrfs_free_extent) and by relocation.
int btrfs_del_csums(btrfs_trans_handle& trans, uint64_t bytenr, uint64_t len);
// btrfs_lookup_csums_range: the checksums found for sectors of [start, end) (sector bytenr -> csum),
// from the csum tree's current root. No scheduling point (callers add theirs).
std::map<uint64_t, uint32_t> btrfs_lookup_csums_range(btrfs_fs_info& fs_info, uint64_t start, uint64_t end);
// csum_exist_in_range (inode.c): true if any sector of [bytenr, bytenr + len) has a checksum.
bool csum_exist_in_range(btrfs_fs_info& fs_info, uint64_t bytenr, uint64_t len);

}  // namespace fsrace::model
