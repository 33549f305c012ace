// Scrub (fs/btrfs/scrub.c of the 4.3-4.7 era): reads every extent that lies on a device, verifies
// data checksums and tree block headers, repairs bad copies from a good mirror, and (in device replace
// mode) copies every extent to the replace target.
#pragma once
#include <cstdint>

#include "model/maint/scrub_state.hpp"

namespace fsrace::model {

struct btrfs_fs_info;

// btrfs_scrub_dev (BTRFS_IOC_SCRUB): scrubs the device extents of `devid` overlapping [start, end).
// Returns 0 (errors found are counted in *progress, not returned) or a negative errno as the ioctl
// returns it to user space: -ENODEV (no such device), -EINPROGRESS (already scrubbed, or a replace
// runs), -EIO (a replace target), or an error of the walk (-EINVAL when a chunk vanished under it
// without 020d5b7366fc). The result is also kept in fs_info->scrub_results[devid] (scrub status).
int btrfs_scrub_dev(btrfs_fs_info& fs_info, uint64_t devid, uint64_t start, uint64_t end,
                    btrfs_scrub_progress* progress, bool readonly, bool is_dev_replace);

// btrfs_scrub_cancel (btrfs scrub cancel; device replace cancel): -ENOTCONN when no scrub runs
// (fs_info->scrubs_running == 0, checked under scrub_lock); else raises scrub_cancel_req and waits until
// every running scrub has ended its walk (each returns -ECANCELED), then drops the request and returns 0.
int btrfs_scrub_cancel(btrfs_fs_info& fs_info);

// The scrub side of the pause handshake with transaction commits (btrfs_scrub_pause).
void scrub_pause_on(btrfs_fs_info& fs_info);
void scrub_pause_off(btrfs_fs_info& fs_info);
void scrub_blocked_if_needed(btrfs_fs_info& fs_info);

}  // namespace fsrace::model
