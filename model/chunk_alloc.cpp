#include "model/chunk_alloc.hpp"

#include <cerrno>

#include "model/block_group.hpp"
#include "model/chunk_item.hpp"
#include "model/chunk_reserve.hpp"
#include "model/fs_info.hpp"
#include "model/transaction.hpp"
#include "model/transaction_abort.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

// do_chunk_alloc (caller holds chunk_mutex): system space first (check_system_chunk), then the chunk. With
// 79bd37120b14 its chunk tree updates follow here and the reservation is released at once; before it they
// wait for phase 2, and so does the release.
int64_t do_chunk_alloc(btrfs_trans_handle& trans, uint64_t flags) {
  check_system_chunk(trans, flags);
  const int64_t start = btrfs_create_chunk(trans, flags);
  if (!trans.fs_info->fixes.has("79bd37120b14")) return start;
  // Before 2bb2e00ed978 (5.14, 5.15) a SYSTEM chunk could be allocated here, from a chunk tree COW that
  // holds chunk tree locks: its chunk tree updates wait for phase 2, and so does the release.
  if ((flags & BTRFS_BLOCK_GROUP_SYSTEM) && !trans.fs_info->fixes.has("2bb2e00ed978")) return start;
  if (start >= 0) {
    // -ENOSPC would be retried with a new system chunk (6.1's three exceptions: degraded profiles, a system
    // group turned read-only by scrub or emptied by discard since check_system_chunk); the model cannot
    // return it: btrfs_alloc_tree_block BUGs without space.
    if (int ret = btrfs_chunk_alloc_add_chunk_item(trans, uint64_t(start))) btrfs_abort_transaction(trans, ret);
  }
  btrfs_trans_release_chunk_metadata(trans);
  return start;
}

}  // namespace

int btrfs_chunk_alloc(btrfs_trans_handle& trans, uint64_t flags, chunk_alloc_force) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  if (trans.allocating_chunk) return -ENOSPC;  // no re-entry from do_chunk_alloc's own tree updates
  if ((flags & BTRFS_BLOCK_GROUP_SYSTEM) && fs_info.fixes.has("2bb2e00ed978")) return -ENOSPC;
  btrfs_space_info& space_info = btrfs_find_space_info(fs_info, flags);
  for (;;) {  // bounded: each pass waits for the task allocating for this space info
    sched::point(sched::L("btrfs_chunk_alloc(flags {:#x})", flags));  // spin_lock(&space_info->lock)
    if (space_info.full) return -ENOSPC;  // no more device space (should_alloc_chunk: forced)
    if (!space_info.chunk_alloc) break;
    // Someone else is allocating: wait for it (the kernel takes and drops chunk_mutex and looks again).
    fs_info.chunk_mutex.lock();
    fs_info.chunk_mutex.unlock();
    space_info.chunk_alloc_wait.wait_event([&] { return !space_info.chunk_alloc; });
  }
  space_info.chunk_alloc = true;
  fs_info.chunk_mutex.lock();
  trans.allocating_chunk = true;
  const int64_t ret = do_chunk_alloc(trans, flags);
  trans.allocating_chunk = false;
  if (ret == -ENOSPC) space_info.full = true;
  space_info.chunk_alloc = false;
  if (space_info.chunk_alloc_wait.has_waiters()) space_info.chunk_alloc_wait.wake_up();
  fs_info.chunk_mutex.unlock();
  return ret < 0 ? int(ret) : 1;
}

int btrfs_force_chunk_alloc(btrfs_trans_handle& trans, uint64_t type) {
  return btrfs_chunk_alloc(trans, btrfs_get_alloc_profile(*trans.fs_info, type), chunk_alloc_force::force);
}

}  // namespace fsrace::model
