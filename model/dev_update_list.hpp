// The transaction's dev_update_list (transaction->dev_update_list, btrfs_device::post_commit_list): the
// devices whose sizes a transaction changed, which its commit records (btrfs_commit_device_sizes).
// Replace finishing (debd1c065d20) waits until the source device is on no such list.
#pragma once
#include <cstdint>

namespace fsrace::model {

struct btrfs_device;
struct btrfs_fs_info;
struct btrfs_trans_handle;

// if (list_empty(&device->post_commit_list)) list_add_tail(.., &trans->transaction->dev_update_list):
// the caller holds chunk_mutex. A device already on a list stays on that one.
void btrfs_add_dev_update(btrfs_trans_handle& trans, btrfs_device& device);

// btrfs_commit_device_sizes, in the commit's critical section: every device on the list of transaction
// `transid` leaves it (the kernel also records commit_bytes_used / commit_total_bytes, which the model
// does not keep).
void btrfs_commit_device_sizes(btrfs_fs_info& fs_info, uint64_t transid);

}  // namespace fsrace::model
