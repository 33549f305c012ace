// Device remove (ioctl.c btrfs_ioctl_rm_dev_v2, volumes.c btrfs_rm_device / btrfs_rm_dev_item, 6.1): the
// device leaves the allocation list, btrfs_shrink_device(device, 0) relocates every chunk with a device
// extent on it, then its device item is deleted, it leaves the device list and the removal commits. The
// block device goes back to the machine (a spare again). Seed devices and "missing" are not modelled.
#pragma once
#include <cstdint>

namespace fsrace::model {

struct btrfs_fs_info;

// enum btrfs_err_code (uapi btrfs.h): the positive codes btrfs_rm_device returns to user space.
enum btrfs_err_code : int {
  BTRFS_ERROR_DEV_RAID1_MIN_NOT_MET = 1,
  BTRFS_ERROR_DEV_RAID10_MIN_NOT_MET = 2,
  BTRFS_ERROR_DEV_TGT_REPLACE = 5,
  BTRFS_ERROR_DEV_MISSING_NOT_FOUND = 6,
  BTRFS_ERROR_DEV_ONLY_WRITABLE = 7,
  BTRFS_ERROR_DEV_EXCL_RUN_IN_PROGRESS = 8,
};

// btrfs_ioctl_rm_dev_v2 by devid: -EBUSY while another exclusive operation runs (6.1:
// BTRFS_ERROR_DEV_EXCL_RUN_IN_PROGRESS; the model's exclusive operations all say -EBUSY), then
// btrfs_rm_device: BTRFS_ERROR_DEV_RAID1_MIN_NOT_MET / _RAID10_MIN_NOT_MET when a profile in use needs
// more devices than would remain (btrfs_check_raid_min_devices), -ENOENT for no such devid,
// BTRFS_ERROR_DEV_TGT_REPLACE for a replace target, BTRFS_ERROR_DEV_ONLY_WRITABLE for the last writable
// device, -ENOSPC when a chunk cannot move off it (it then stays, allocatable again), else the commit's result.
int btrfs_ioctl_rm_dev(btrfs_fs_info& fs_info, uint64_t devid);

}  // namespace fsrace::model
