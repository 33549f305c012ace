// Device resize (ioctl.c btrfs_ioctl_resize, volumes.c btrfs_grow_device / btrfs_shrink_device, 6.1).
// Shrinking sets the device's size first (new chunks then stay below it), then relocates, from the top
// down, every chunk with a device extent past the new size, and finally writes the new size to the
// device item and commits. The fix 53e489bc8cd9 (v4.2; first_pending_extent in 6.1) commits first when
// a chunk map already covers the cut-off range, so that a chunk allocated in the running transaction,
// whose device extent is not in the device tree yet, is found and relocated too.
#pragma once
#include <cstdint>

namespace fsrace::model {

struct btrfs_fs_info;

// btrfs_ioctl_resize of device `devid` to `new_size` bytes: -EBUSY while another exclusive operation
// runs, -EINVAL below 256 MiB or for a device replace's target, -EFBIG past the block device, -ENOSPC
// when a chunk past the new size cannot be relocated (the size is then restored), else 0.
int btrfs_resize_device(btrfs_fs_info& fs_info, uint64_t devid, uint64_t new_size);

struct btrfs_device;
// btrfs_shrink_device (volumes.c): the shrink itself, without the exclusive operation; device removal
// calls it with new_size 0 to move every chunk off the device. -EINVAL for a replace target, -ENOSPC
// (old size restored) when a chunk cannot move, else the commit's result.
int btrfs_shrink_device(btrfs_fs_info& fs_info, btrfs_device& device, uint64_t new_size);

}  // namespace fsrace::model
