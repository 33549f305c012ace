// btrfs_remove_chunk (volumes.c), declared in volumes.hpp.
#include <algorithm>
#include <cerrno>
#include <optional>

#include <fmt/format.h>

#include "model/block_group.hpp"
#include "model/chunk_item.hpp"
#include "model/chunk_reserve.hpp"
#include "model/dev_update_list.hpp"
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

// remove_chunk_item: the device item of every stripe's device (by its devid now), then the chunk item
// (btrfs_free_chunk).
int remove_chunk_item(btrfs_trans_handle& trans, const map_lookup& map, uint64_t chunk_offset) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  for (const auto& s : map.stripes) {
    const btrfs_device& device = fs_info.dev(s.dev);
    if (fs_info.device(device.devid) == &device)
      if (int ret = btrfs_update_device(trans, device.devid)) return ret;
  }
  return btrfs_delete_item(trans, fs_info.chunk_root(), {BTRFS_FIRST_CHUNK_TREE_OBJECTID, BTRFS_CHUNK_ITEM_KEY, chunk_offset});
}

// btrfs_free_dev_extent: the search key takes the device's devid as it is now (after the point: the
// kernel allocates the path first, and another CPU runs meanwhile). No item at exactly that key: the
// previous dev extent of that devid must cover `start` (BUG_ON otherwise) and goes instead; none at all
// is btrfs_previous_item's 1, which the caller takes for an error.
int btrfs_free_dev_extent(btrfs_trans_handle& trans, btrfs_device& device, uint64_t start) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  sched::point(sched::L("btrfs_free_dev_extent(physical {})", start));
  btrfs_key key{device.devid, BTRFS_DEV_EXTENT_KEY, start};
  int ret = btrfs_delete_item(trans, fs_info.dev_root(), key);
  if (ret != -ENOENT) return ret;
  std::optional<btrfs_key> prev;
  uint64_t prev_len = 0;
  btrfs_for_each_item(fs_info, fs_info.dev_root(), {key.objectid, BTRFS_DEV_EXTENT_KEY, 0}, [&](const btrfs_item& it) {
    if (it.key.objectid != key.objectid || it.key.type != BTRFS_DEV_EXTENT_KEY || it.key.offset >= start) return false;
    prev = it.key;
    prev_len = std::get<btrfs_dev_extent>(it.value).length;
    return true;
  });
  if (!prev) return 1;
  FSRACE_BUG_ON(prev->offset + prev_len < start, "btrfs_free_dev_extent: dev extent {} of devid {} (len {}) does not cover {}",
                prev->offset, prev->objectid, prev_len, start);
  return btrfs_delete_item(trans, fs_info.dev_root(), *prev);
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
  // First the dev extents, without chunk_mutex (a COW of the device tree may allocate a metadata chunk).
  // 57ba4cb85bff: under device_list_mutex, which device replace finishing holds while it switches the
  // stripes from the source device object to the target and then swaps their devids (the source gets
  // BTRFS_DEV_REPLACE_DEVID) and frees the source afterwards. Without it a stripe's device read before
  // the switch may have devid 0 by the time btrfs_free_dev_extent searches (no item: 1, an abort), or be
  // the source, whose bytes_used then drops instead of the target's. Each bytes_used under chunk_mutex.
  const bool list_locked = fs_info.fixes.has("57ba4cb85bff");
  if (list_locked) fs_info.device_list_mutex.lock();
  for (size_t i = 0; i < map->stripes.size(); ++i) {
    const btrfs_io_stripe stripe = map->stripes[i];  // map->stripes[i].dev: the object, as it is now
    std::shared_ptr<btrfs_device> device = fs_info.device_table.at(stripe.dev);
    if (!items_pending) {
      const int ret = btrfs_free_dev_extent(trans, *device, stripe.physical);
      if (ret) {
        if (list_locked) fs_info.device_list_mutex.unlock();
        btrfs_abort_transaction(trans, ret);
      }
    }
    FSRACE_BUG_ON(device->freed, "btrfs_remove_chunk: use-after-free of a device of chunk {} (devid {}, freed by "
                  "btrfs_rm_dev_replace_free_srcdev)", chunk_offset, device->devid);
    if (device->bytes_used == 0) continue;
    fs_info.chunk_mutex.lock();
    device->bytes_used -= map_stripe_size(*map);
    btrfs_clear_space_info_full(fs_info);
    btrfs_add_dev_update(trans, *device);
    fs_info.chunk_mutex.unlock();
  }
  if (list_locked) fs_info.device_list_mutex.unlock();
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
