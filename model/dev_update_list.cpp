#include "model/dev_update_list.hpp"

#include "model/fs_info.hpp"
#include "model/transaction.hpp"

namespace fsrace::model {

void btrfs_add_dev_update(btrfs_trans_handle& trans, btrfs_device& device) {
  if (device.post_commit_list == 0) device.post_commit_list = trans.transid;
}

void btrfs_commit_device_sizes(btrfs_fs_info& fs_info, uint64_t transid) {
  // The kernel walks the transaction's list under chunk_mutex; here every device object the filesystem had
  // (the source of a finished replace still counts, as its list_head would). chunk_mutex is not taken (no
  // scheduling point in every commit): a commit cannot wait here for a holder of chunk_mutex, so one that
  // replace finishing's locked section would have held back takes the source off early (README departures).
  for (const auto& device : fs_info.device_table)
    if (device->post_commit_list == transid) device->post_commit_list = 0;
}

}  // namespace fsrace::model
