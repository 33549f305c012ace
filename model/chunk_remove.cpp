// btrfs_remove_chunk (volumes.c), declared in volumes.hpp.
#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "model/block_group.hpp"
#include "model/chunk_item.hpp"
#include "model/chunk_reserve.hpp"
#include "model/fs_info.hpp"
#include "model/transaction_abort.hpp"
#include "model/volumes.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {

// btrfs_clear_space_info_full: device space came back, so every space info may allocate again.
void btrfs_clear_space_info_full(btrfs_fs_info& fs_info) {
  for (auto& sinfo : fs_info.space_info) sinfo.full = false;
}

namespace {

// remove_chunk_item: the device item of every stripe, then the chunk item (btrfs_free_chunk).
int remove_chunk_item(btrfs_trans_handle& trans, const map_lookup& map, uint64_t chunk_offset) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  for (const auto& s : map.stripes)
    if (fs_info.device(s.devid))
      if (int ret = btrfs_update_device(trans, s.devid)) return ret;
  return btrfs_delete_item(trans, fs_info.chunk_root(), {BTRFS_FIRST_CHUNK_TREE_OBJECTID, BTRFS_CHUNK_ITEM_KEY, chunk_offset});
}

}  // namespace

int btrfs_remove_chunk(btrfs_trans_handle& trans, uint64_t chunk_offset) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  sched::point(sched::L("btrfs_remove_chunk(chunk {})", chunk_offset));
  map_lookup_ptr map = btrfs_get_chunk_map(fs_info, chunk_offset);
  if (!map) {
    // btrfs_get_chunk_map found no mapping: "a logic error", ASSERT(0) (a finding, as every ASSERT of the
    // model: the kernel's CONFIG_BTRFS_ASSERT), and -EINVAL where ASSERT is compiled out.
    fs_info.log(fmt::format("BTRFS critical: unable to find chunk map for logical {} length 1", chunk_offset));
    FSRACE_ASSERT(0, "btrfs_remove_chunk: unable to find chunk map for logical {}", chunk_offset);
  }
  if (map->start != chunk_offset) {
    fs_info.log(fmt::format("BTRFS error: btrfs_remove_chunk: no chunk at {}", chunk_offset));
    return -EINVAL;
  }
  const bool phase1_updates = fs_info.fixes.has("79bd37120b14");
  if (!phase1_updates) {
    // Before 79bd37120b14: the reservation first, chunk_mutex held for it only; released at the handle's end.
    fs_info.chunk_mutex.lock();
    check_system_chunk(trans, map->type);
    fs_info.chunk_mutex.unlock();
  }
  // A group still waiting for its phase 2 (BLOCK_GROUP_FLAG_NEW) has no dev extents yet, and a chunk item
  // only if phase 1 inserted it.
  block_group_ptr bg = btrfs_lookup_block_group(fs_info, chunk_offset);
  const bool items_pending = bg && bg->start == chunk_offset && bg->on_new_bgs;
  const bool chunk_item = !items_pending || bg->chunk_item_inserted;
  // First the dev extents, without chunk_mutex (a COW of the device tree may allocate a metadata chunk),
  // under device_list_mutex: device replace finishing swaps the source for the target under it, so the
  // device whose bytes_used drops is the one the filesystem has. Each device's bytes_used under chunk_mutex.
  fs_info.device_list_mutex.lock();
  for (const auto& s : map->stripes) {
    if (!items_pending) {
      sched::point(sched::L("btrfs_free_dev_extent(devid {}, physical {})", s.devid, s.physical));
      int ret = btrfs_delete_item(trans, fs_info.dev_root(), {s.devid, BTRFS_DEV_EXTENT_KEY, s.physical});
      if (ret) btrfs_abort_transaction(trans, ret);
    }
    btrfs_device* d = fs_info.device(s.devid);
    if (!d || d->bytes_used == 0) continue;
    fs_info.chunk_mutex.lock();
    d->bytes_used -= map_stripe_size(*map);
    btrfs_clear_space_info_full(fs_info);
    fs_info.chunk_mutex.unlock();
  }
  fs_info.device_list_mutex.unlock();
  // 79bd37120b14: system space reserved, chunk tree updated and the sys_chunk_array entry dropped in one
  // chunk_mutex section, so no chunk tree COW here can need a system chunk allocation.
  if (phase1_updates) {
    trans.removing_chunk = true;
    fs_info.chunk_mutex.lock();
    check_system_chunk(trans, map->type);
  }
  if (chunk_item) {
    // -ENOSPC would be retried once with a new system chunk; the model's btrfs_alloc_tree_block BUGs instead.
    if (int ret = remove_chunk_item(trans, *map, chunk_offset)) btrfs_abort_transaction(trans, ret);
  }
  if (map->type & BTRFS_BLOCK_GROUP_SYSTEM) {
    // Before 79bd37120b14 btrfs_del_sys_chunk took chunk_mutex itself. A chunk whose entry was never added
    // (its items still pending) has none to remove.
    if (!phase1_updates) fs_info.chunk_mutex.lock();
    btrfs_del_sys_chunk(fs_info, chunk_offset);
    if (!phase1_updates) fs_info.chunk_mutex.unlock();
  }
  if (phase1_updates) {
    fs_info.chunk_mutex.unlock();
    trans.removing_chunk = false;
    btrfs_trans_release_chunk_metadata(trans);
  }
  int ret = btrfs_remove_block_group(trans, chunk_offset);
  if (ret) btrfs_abort_transaction(trans, ret);
  return 0;
}

}  // namespace fsrace::model
