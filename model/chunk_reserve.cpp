#include "model/chunk_reserve.hpp"

#include "model/block_rsv.hpp"
#include "model/chunk_alloc.hpp"
#include "model/chunk_item.hpp"
#include "model/fs_info.hpp"
#include "model/transaction.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

// get_profile_num_devs: the profile's devs_max (btrfs_raid_array), or every writable device when it has none.
uint64_t get_profile_num_devs(btrfs_fs_info& fs_info, uint64_t type) {
  if (type & BTRFS_BLOCK_GROUP_RAID1) return 2;
  if (type & BTRFS_BLOCK_GROUP_RAID10) {
    uint64_t rw_devices = 0;
    for (auto& [id, d] : fs_info.devices)
      if (d->in_alloc_list && !d->missing && !d->is_tgtdev_for_dev_replace) rw_devices++;
    return rw_devices;
  }
  return 1;  // single, dup
}

// eafa4fd0ad06's wait, present from 5.13 until 1cb3db1cf383 reverted it.
bool chunk_reserve_wait_enabled(const btrfs_fs_info& fs_info) {
  return fs_info.fixes.has("eafa4fd0ad06") && !fs_info.fixes.has("1cb3db1cf383");
}

// reserve_chunk_space (caller holds chunk_mutex): a system chunk when the system space info has less than
// `bytes` left (its failure ignored: the COWs may not need it all), then `bytes` in chunk_block_rsv.
void reserve_chunk_space(btrfs_trans_handle& trans, uint64_t bytes, uint64_t type) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  FSRACE_MODEL_CHECK(fs_info.chunk_mutex.is_locked(), "reserve_chunk_space without chunk_mutex");
  btrfs_space_info& info = btrfs_find_space_info(fs_info, BTRFS_BLOCK_GROUP_SYSTEM);
  int ret = 0;
  for (;;) {  // bounded: each pass waits for another handle to release its reservation
    const uint64_t used = btrfs_space_info_used(info);  // under space_info->lock
    const uint64_t left = info.total_bytes > used ? info.total_bytes - used : 0;
    if (left >= bytes) break;
    btrfs_transaction& cur_trans = *trans.transaction;
    if (chunk_reserve_wait_enabled(fs_info) && cur_trans.chunk_bytes_reserved > trans.chunk_bytes_reserved) {
      // eafa4fd0ad06: others reserved for a system chunk of their own; wait until they created their block
      // groups and released at least what this reservation needs, then look again.
      const uint64_t min_needed = cur_trans.chunk_bytes_reserved - bytes;
      fs_info.chunk_mutex.unlock();
      cur_trans.chunk_reserve_wait.wait_event([&] { return cur_trans.chunk_bytes_reserved <= min_needed; });
      fs_info.chunk_mutex.lock();
      continue;
    }
    const int64_t sys = btrfs_create_chunk(trans, btrfs_get_alloc_profile(fs_info, BTRFS_BLOCK_GROUP_SYSTEM));
    if (sys < 0) {
      ret = int(sys);
    } else if (fs_info.fixes.has("79bd37120b14") &&
               (fs_info.fixes.has("2bb2e00ed978") || !(type & BTRFS_BLOCK_GROUP_SYSTEM))) {
      // Phase 1 for the system chunk too; a failure is retried by phase 2 (btrfs_create_pending_block_groups).
      // Before 2bb2e00ed978 not when the caller allocates a system chunk: it may be COWing the chunk tree.
      btrfs_chunk_alloc_add_chunk_item(trans, uint64_t(sys));
    }
    break;
  }
  if (ret == 0 && btrfs_block_rsv_add(fs_info, fs_info.chunk_block_rsv, bytes) == 0) {
    trans.chunk_bytes_reserved += bytes;
    if (chunk_reserve_wait_enabled(fs_info)) trans.transaction->chunk_bytes_reserved += bytes;
  }
}

}  // namespace

uint64_t btrfs_calc_metadata_size(const btrfs_fs_info& fs_info, uint64_t num_items) {
  return uint64_t(fs_info.nodesize) * BTRFS_MAX_LEVEL * num_items;
}

uint64_t btrfs_calc_insert_metadata_size(const btrfs_fs_info& fs_info, uint64_t num_items) {
  return uint64_t(fs_info.nodesize) * BTRFS_MAX_LEVEL * 2 * num_items;
}

void check_system_chunk(btrfs_trans_handle& trans, uint64_t type) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  // num_devs device items to update and one chunk item to add or remove.
  const uint64_t bytes = btrfs_calc_metadata_size(fs_info, get_profile_num_devs(fs_info, type)) +
                         btrfs_calc_insert_metadata_size(fs_info, 1);
  reserve_chunk_space(trans, bytes, type);
}

void btrfs_reserve_chunk_metadata(btrfs_trans_handle& trans, bool is_item_insertion) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  const uint64_t bytes = is_item_insertion ? btrfs_calc_insert_metadata_size(fs_info, 1) : btrfs_calc_metadata_size(fs_info, 1);
  fs_info.chunk_mutex.lock();
  reserve_chunk_space(trans, bytes, BTRFS_BLOCK_GROUP_SYSTEM);
  fs_info.chunk_mutex.unlock();
}

void btrfs_trans_release_chunk_metadata(btrfs_trans_handle& trans) {
  if (!trans.chunk_bytes_reserved) return;
  btrfs_fs_info& fs_info = *trans.fs_info;
  btrfs_block_rsv_release(fs_info, fs_info.chunk_block_rsv, trans.chunk_bytes_reserved);
  if (chunk_reserve_wait_enabled(fs_info)) {
    btrfs_transaction& cur_trans = *trans.transaction;
    cur_trans.chunk_bytes_reserved -= trans.chunk_bytes_reserved;
    if (cur_trans.chunk_reserve_wait.has_waiters()) cur_trans.chunk_reserve_wait.wake_up();  // cond_wake_up
  }
  trans.chunk_bytes_reserved = 0;
}

}  // namespace fsrace::model
