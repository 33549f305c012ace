// Device add (ioctl.c btrfs_ioctl_add_dev, volumes.c btrfs_init_new_device / btrfs_add_dev_item, 6.1):
// a block device of the machine joins the filesystem as the next devid. It is on the device lists, and so
// available to chunk allocation, from the chunk_mutex section on; its device item goes into the chunk tree
// after that, in the same transaction, which the add then commits. Seed devices (sprouting) are not modelled.
#pragma once
#include <cstddef>
#include <cstdint>

namespace fsrace::model {

struct btrfs_fs_info;

// A spare block device of `size` bytes (a multiple of the sector size), named "spare<N>", N from 1.
void add_spare_block_device(btrfs_fs_info& fs_info, uint64_t size);

// btrfs_ioctl_add_dev of spare block device `spare` (index into fs_info.spare_bdevs): -EBUSY while another
// exclusive operation runs (6.1 returns BTRFS_ERROR_DEV_EXCL_RUN_IN_PROGRESS; the model's exclusive
// operations all say -EBUSY), -EEXIST when the filesystem already holds that block device, else the
// commit's result. On success the new device's devid is in *devid_out (when given).
int btrfs_ioctl_add_dev(btrfs_fs_info& fs_info, size_t spare, uint64_t* devid_out = nullptr);

}  // namespace fsrace::model
