// System space reservation for chunk tree updates (block-group.c, transaction.c): before a task changes the
// chunk tree it reserves system space in fs_info->chunk_block_rsv, allocating a system chunk first when the
// system space info lacks room, so that COWing chunk tree blocks never has to allocate one.
#pragma once
#include <cstdint>

#include "model/ctree.hpp"  // BTRFS_MAX_LEVEL

namespace fsrace::model {

struct btrfs_fs_info;
struct btrfs_trans_handle;

// btrfs_calc_metadata_size / btrfs_calc_insert_metadata_size: worst-case tree blocks of `num_items` item
// updates (a path of BTRFS_MAX_LEVEL nodes) or insertions (twice that: splits).
uint64_t btrfs_calc_metadata_size(const btrfs_fs_info& fs_info, uint64_t num_items);
uint64_t btrfs_calc_insert_metadata_size(const btrfs_fs_info& fs_info, uint64_t num_items);

// check_system_chunk (caller holds chunk_mutex): room for the device items of a chunk of `type` (as many as
// the profile's devs_max, or every writable device) and one chunk item insertion or deletion.
void check_system_chunk(btrfs_trans_handle& trans, uint64_t type);
// btrfs_reserve_chunk_metadata (2bb2e00ed978): takes chunk_mutex and reserves for one item update or
// insertion, for chunk tree changes outside chunk allocation and removal (relocation of chunk tree blocks).
void btrfs_reserve_chunk_metadata(btrfs_trans_handle& trans, bool is_item_insertion);
// btrfs_trans_release_chunk_metadata: gives the handle's chunk_bytes_reserved back to chunk_block_rsv.
void btrfs_trans_release_chunk_metadata(btrfs_trans_handle& trans);

}  // namespace fsrace::model
