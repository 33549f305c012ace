// btrfs send (fs/btrfs/send.c of v5.0-v5.3, with the later fixes as toggles): a stream of the
// content of a read-only snapshot, full or relative to a parent snapshot, computed from COMMIT
// ROOTS without a transaction handle, like the kernel.
#pragma once
#include <cstdint>

#include "model/maint/send_stream.hpp"

namespace fsrace::model {

struct btrfs_fs_info;

// BTRFS_IOC_SEND. `parent_root` 0 is a full send. Returns 0 with the stream in *out, or what the
// kernel returns to user space: -ENOENT (no such subvolume), -EPERM (not read-only), -EAGAIN
// (9e967495e0e0 / 1cea5cf0e664: balance / relocation running), -EBUSY (excl_op: another exclusive
// operation runs), -EIO ("parent transid verify failed", "did not find backref in send_root",
// inconsistent snapshot), -EUCLEAN, -ENOENT from btrfs_iget. BUG_ON in read_node_slot is a finding.
int btrfs_ioctl_send(btrfs_fs_info& fs_info, uint64_t send_root, uint64_t parent_root, send_stream_ptr* out);

}  // namespace fsrace::model
