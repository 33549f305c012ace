// btrfs_sync_file (file.c) and btrfs_sync_fs (super.c) as the model runs them: there is no log
// tree, so fsync writes and waits for the file's range and then commits the transaction (what the
// kernel does whenever it cannot log the inode).
#include "model/data/data_oracle.hpp"
#include "model/data/delalloc.hpp"
#include "model/data/file.hpp"
#include "model/data/ordered_data.hpp"
#include "model/data/writeback.hpp"
#include "model/fs_info.hpp"
#include "model/transaction.hpp"

namespace fsrace::model {

int btrfs_sync_file(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end) {
  const uint32_t written_before = uint32_t(fs_info.oracle.ops.size());
  int ret = btrfs_fdatawrite_range(fs_info, inode, start, end);  // start_ordered_ops
  inode.i_rwsem.down_write();
  const int r = btrfs_wait_ordered_range(fs_info, inode, start, end - start);
  if (!ret) ret = r;
  // No log tree: the full commit of btrfs_sync_file (btrfs_start_transaction, then commit).
  btrfs_trans_handle trans = btrfs_start_transaction(fs_info);
  trans.in_fsync = true;
  const int c = btrfs_commit_transaction(trans);
  if (!ret) ret = c;
  if (!ret) oracle_make_durable(fs_info, &inode, written_before);
  inode.i_rwsem.up_write();
  return ret;
}

int btrfs_sync_fs(btrfs_fs_info& fs_info) {
  const uint32_t written_before = uint32_t(fs_info.oracle.ops.size());
  btrfs_start_delalloc_roots(fs_info, ~0ull);
  btrfs_wait_ordered_roots(fs_info, ~0ull, 0, ~0ull);
  const int ret = btrfs_commit_attached(fs_info);  // btrfs_attach_transaction_barrier + commit
  if (!ret) oracle_make_durable(fs_info, nullptr, written_before);
  return ret;
}

}  // namespace fsrace::model
