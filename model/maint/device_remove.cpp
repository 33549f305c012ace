#include "model/maint/device_remove.hpp"

#include <cerrno>

#include <fmt/format.h>

#include "model/chunk_reserve.hpp"
#include "model/fs_info.hpp"
#include "model/maint/resize.hpp"
#include "model/transaction.hpp"
#include "model/transaction_abort.hpp"
#include "model/volumes.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

// btrfs_num_devices: fs_devices->num_devices, less a running replace's target.
uint64_t btrfs_num_devices(const btrfs_fs_info& fs_info) {
  uint64_t n = 0;
  for (const auto& [id, d] : fs_info.devices)
    if (!d->is_tgtdev_for_dev_replace) n++;
  return n;
}

// btrfs_check_raid_min_devices: every profile with block groups (avail_*_alloc_bits) against its devs_min
// (btrfs_raid_array: raid1 and raid10 2, single and dup 1 with mindev_error 0).
int btrfs_check_raid_min_devices(const btrfs_fs_info& fs_info, uint64_t num_devices) {
  uint64_t all_avail = 0;
  for (const auto& [start, bg] : fs_info.block_group_cache_tree) all_avail |= bg->flags;
  if ((all_avail & BTRFS_BLOCK_GROUP_RAID10) && num_devices < 2) return BTRFS_ERROR_DEV_RAID10_MIN_NOT_MET;
  if ((all_avail & BTRFS_BLOCK_GROUP_RAID1) && num_devices < 2) return BTRFS_ERROR_DEV_RAID1_MIN_NOT_MET;
  return 0;
}

uint64_t rw_devices(const btrfs_fs_info& fs_info) {
  uint64_t n = 0;
  for (const auto& [id, d] : fs_info.devices)
    if (d->in_alloc_list) n++;
  return n;
}

// btrfs_rm_dev_item: deletes the device item from the chunk tree.
int btrfs_rm_dev_item(btrfs_trans_handle& trans, uint64_t devid) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  // 2bb2e00ed978: system space for the deletion's COW first (see btrfs_add_dev_item).
  const bool reserve = fs_info.fixes.has("2bb2e00ed978");
  if (reserve) btrfs_reserve_chunk_metadata(trans, false);
  const int ret = btrfs_delete_item(trans, fs_info.chunk_root(), {BTRFS_DEV_ITEMS_OBJECTID, BTRFS_DEV_ITEM_KEY, devid});
  if (reserve) btrfs_trans_release_chunk_metadata(trans);
  return ret;
}

int btrfs_rm_device(btrfs_fs_info& fs_info, uint64_t devid) {
  if (int ret = btrfs_check_raid_min_devices(fs_info, btrfs_num_devices(fs_info) - 1)) return ret;
  btrfs_device* device = fs_info.device(devid);
  if (!device) return -ENOENT;
  if (device->is_tgtdev_for_dev_replace) return BTRFS_ERROR_DEV_TGT_REPLACE;
  if (device->in_alloc_list && rw_devices(fs_info) == 1) return BTRFS_ERROR_DEV_ONLY_WRITABLE;
  const bool writeable = device->in_alloc_list;
  if (writeable) {  // list_del_init(&device->dev_alloc_list), rw_devices--
    fs_info.chunk_mutex.lock();
    sched::point(sched::L("btrfs_rm_device(devid {}): off the allocation list", devid));
    device->in_alloc_list = false;
    fs_info.chunk_mutex.unlock();
  }
  int ret = btrfs_shrink_device(fs_info, *device, 0);
  if (ret) {  // error_undo
    if (writeable) {
      fs_info.chunk_mutex.lock();
      device->in_alloc_list = true;
      fs_info.chunk_mutex.unlock();
    }
    return ret;
  }
  btrfs_trans_handle trans = btrfs_start_transaction(fs_info);
  ret = btrfs_rm_dev_item(trans, devid);
  if (ret) {  // any error in dev item removal is critical
    fs_info.log(fmt::format("BTRFS critical: failed to remove device item for devid {}: {}", devid, ret));
    btrfs_abort_transaction_at(trans, ret, "btrfs_rm_device");
  }
  // btrfs_scrub_cancel_dev is not modelled: a scrub of the removed device is left to its own checks.
  fs_info.device_list_mutex.lock();
  // list_del_rcu(dev_list), num_devices/total_devices, the super block's num_devices (derived at export).
  sched::point(sched::L("btrfs_rm_device(devid {}): off the device list", devid));
  std::shared_ptr<btrfs_device> gone = fs_info.devices.at(devid);
  fs_info.devices.erase(devid);
  fs_info.device_list_mutex.unlock();
  // btrfs_scratch_superblocks, then the caller's blkdev_put: the block device is the machine's again.
  for (auto& s : fs_info.spare_bdevs)
    if (s.claimed_by == devid) {
      s.bdev = gone->bdev;
      s.claimed_by = 0;
    }
  return btrfs_commit_transaction(trans);
}

}  // namespace

int btrfs_ioctl_rm_dev(btrfs_fs_info& fs_info, uint64_t devid) {
  // exclop_start_or_cancel_reloc(BTRFS_EXCLOP_DEV_REMOVE): test and set in one step.
  sched::point(sched::L("btrfs_exclop_start(dev remove)"));
  if (fs_info.flags & BTRFS_FS_EXCL_OP) return -EBUSY;
  fs_info.flags |= BTRFS_FS_EXCL_OP;
  const int ret = btrfs_rm_device(fs_info, devid);
  if (ret == 0) fs_info.log(fmt::format("BTRFS info: disk deleted devid {}", devid));
  fs_info.flags &= ~BTRFS_FS_EXCL_OP;  // btrfs_exclop_finish
  return ret;
}

}  // namespace fsrace::model
