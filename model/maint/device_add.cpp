#include "model/maint/device_add.hpp"

#include <cerrno>

#include <fmt/format.h>

#include "model/chunk_reserve.hpp"
#include "model/fs_info.hpp"
#include "model/transaction.hpp"
#include "model/transaction_abort.hpp"
#include "model/volumes.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

// find_next_devid: one past the last device item of the chunk tree (btrfs_search_slot for devid -1, then
// btrfs_previous_item). A read of the current root, one step as the model's unlocked readers are.
uint64_t find_next_devid(btrfs_fs_info& fs_info) {
  uint64_t last = 0;
  btrfs_for_each_item(fs_info, fs_info.chunk_root(), {BTRFS_DEV_ITEMS_OBJECTID, BTRFS_DEV_ITEM_KEY, 0},
                      [&](const btrfs_item& it) {
                        if (it.key.objectid != BTRFS_DEV_ITEMS_OBJECTID || it.key.type != BTRFS_DEV_ITEM_KEY) return false;
                        last = it.key.offset;
                        return true;
                      });
  return last + 1;
}

// btrfs_add_dev_item: the device item, filled from the device as it is when the item goes in.
int btrfs_add_dev_item(btrfs_trans_handle& trans, const btrfs_device& device) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  // 2bb2e00ed978: system space for the insertion first; before it the insertion's COW could find no system
  // space while holding the chunk tree lock and ask for a system chunk (chunk_mutex) there.
  const bool reserve = fs_info.fixes.has("2bb2e00ed978");
  if (reserve) btrfs_reserve_chunk_metadata(trans, true);
  const int ret = btrfs_insert_item(trans, fs_info.chunk_root(), {BTRFS_DEV_ITEMS_OBJECTID, BTRFS_DEV_ITEM_KEY, device.devid},
                                    btrfs_dev_item{device.devid, device.disk_total_bytes, device.bytes_used});
  if (reserve) btrfs_trans_release_chunk_metadata(trans);
  return ret;
}

int btrfs_init_new_device(btrfs_fs_info& fs_info, size_t spare, uint64_t* devid_out) {
  FSRACE_MODEL_CHECK(spare < fs_info.spare_bdevs.size(), "device add: no spare block device {}", spare);
  spare_block_device& bdev = fs_info.spare_bdevs[spare];
  if (bdev.claimed_by) return -EEXIST;  // the loop over fs_devices->devices: device->bdev == bdev
  auto device = std::make_shared<btrfs_device>();  // btrfs_alloc_device(fs_info, NULL, NULL)
  device->devid = find_next_devid(fs_info);
  device->bdev = bdev.bdev;
  bdev.claimed_by = device->devid;

  btrfs_trans_handle trans = btrfs_start_transaction(fs_info);
  device->total_bytes = device->disk_total_bytes = bdev.bdev.size() / fs_info.sectorsize * fs_info.sectorsize;
  fs_info.device_list_mutex.lock();
  fs_info.chunk_mutex.lock();
  // list_add_rcu(dev_list), list_add(dev_alloc_list), num_devices/rw_devices/total_rw_bytes, the super
  // block's total_bytes and num_devices (the model derives those two from the device list at export).
  sched::point(sched::L("btrfs_init_new_device(devid {}): on the device lists", device->devid));
  fs_info.add_device(device);
  btrfs_clear_space_info_full(fs_info);  // more storage: every space info may allocate again
  fs_info.chunk_mutex.unlock();
  fs_info.device_list_mutex.unlock();

  if (int ret = btrfs_add_dev_item(trans, *device)) btrfs_abort_transaction_at(trans, ret, "btrfs_init_new_device");
  if (devid_out) *devid_out = device->devid;
  return btrfs_commit_transaction(trans);
}

}  // namespace

void add_spare_block_device(btrfs_fs_info& fs_info, uint64_t size) {
  spare_block_device s;
  s.bdev = block_device(fmt::format("spare{}", fs_info.spare_bdevs.size() + 1), size);
  fs_info.spare_bdevs.push_back(std::move(s));
}

int btrfs_ioctl_add_dev(btrfs_fs_info& fs_info, size_t spare, uint64_t* devid_out) {
  // btrfs_exclop_start(BTRFS_EXCLOP_DEV_ADD), else btrfs_exclop_start_try_lock: a paused balance lets a device
  // be added; the exclusive operation becomes DEV_ADD for the call and BALANCE_PAUSED again after it.
  sched::point(sched::L("btrfs_exclop_start(dev add)"));
  bool restore_op = false;
  if (fs_info.flags & BTRFS_FS_EXCL_OP) {
    if (!fs_info.exclop_balance_paused) return -EBUSY;  // BTRFS_ERROR_DEV_EXCL_RUN_IN_PROGRESS
    fs_info.exclop_balance_paused = false;  // fs_info->exclusive_operation = BTRFS_EXCLOP_DEV_ADD
    restore_op = true;
  }
  fs_info.flags |= BTRFS_FS_EXCL_OP;
  uint64_t devid = 0;
  const int ret = btrfs_init_new_device(fs_info, spare, &devid);
  if (ret == 0) fs_info.log(fmt::format("BTRFS info: disk added {}", fs_info.spare_bdevs[spare].bdev.name()));
  if (ret == 0 && devid_out) *devid_out = devid;
  if (restore_op)
    fs_info.exclop_balance_paused = true;  // btrfs_exclop_balance(BTRFS_EXCLOP_BALANCE_PAUSED)
  else
    fs_info.flags &= ~BTRFS_FS_EXCL_OP;  // btrfs_exclop_finish
  return ret;
}

}  // namespace fsrace::model
