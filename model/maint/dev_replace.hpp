// Device replace (fs/btrfs/dev-replace.c of the 4.x era): a target device is added, writes below
// dev_replace->cursor_left are duplicated to it (model/maint/dev_replace_map.cpp), scrub in replace
// mode copies every extent of the source device, and finishing swaps the devices.
#pragma once
#include <cstdint>
#include <string>

#include "model/maint/scrub_state.hpp"

namespace fsrace::model {

struct btrfs_fs_info;

bool btrfs_dev_replace_is_ongoing(const btrfs_dev_replace& dev_replace);

// btrfs_ioctl_dev_replace(BTRFS_IOCTL_DEV_REPLACE_CMD_START) -> btrfs_dev_replace_start: replaces
// device `srcdevid` by a new, empty device of `tgtdev_size` bytes named `tgtdev_name`. Runs the copy and
// the finishing in the caller (btrfs replace start -B). Returns 0 or a negative errno: -ENOENT (no such
// source device), -EINVAL (target smaller than the source), -EBUSY (another exclusive operation or
// replace runs), -EINPROGRESS (the source is being scrubbed), or the copy's error (-EINVAL, -EIO, ...),
// in which case the replace is canceled and the target removed.
int btrfs_dev_replace_by_ioctl(btrfs_fs_info& fs_info, uint64_t srcdevid, uint64_t tgtdev_size,
                               const std::string& tgtdev_name);

int btrfs_dev_replace_start(btrfs_fs_info& fs_info, uint64_t srcdevid, uint64_t tgtdev_size,
                            const std::string& tgtdev_name);
// btrfs_dev_replace_finishing: flushes delalloc, waits for ordered extents, commits, and (when the copy
// succeeded) makes the target take the source's devid and removes the source; on a copy error the
// replace is canceled and the target removed. Returns scrub_ret or the commit's error.
int btrfs_dev_replace_finishing(btrfs_fs_info& fs_info, int scrub_ret);

// btrfs_dev_replace_cancel (BTRFS_IOCTL_DEV_REPLACE_CMD_CANCEL, `btrfs replace cancel`): returns the
// ioctl's args->result: BTRFS_IOCTL_DEV_REPLACE_RESULT_NO_ERROR when a replace copy was running and was
// canceled (the replace thread's finishing then removes the target; its start returns -ECANCELED),
// BTRFS_IOCTL_DEV_REPLACE_RESULT_NOT_STARTED when no replace runs or its copy has not started yet
// (with d189dd70e255; before it such a replace was canceled and its target freed here).
int btrfs_dev_replace_cancel(btrfs_fs_info& fs_info);
// The operation's view of it: 0 for NO_ERROR, -ENOTCONN for NOT_STARTED (what `btrfs replace cancel`
// reports with exit status 2, the errno scrub and balance cancel return with nothing to cancel).
int btrfs_ioctl_dev_replace_cancel(btrfs_fs_info& fs_info);

}  // namespace fsrace::model
