#include "model/space_info.hpp"

#include <cerrno>

#include "model/block_group.hpp"
#include "model/chunk_alloc.hpp"
#include "model/footprints.hpp"
#include "model/fs_info.hpp"
#include "model/transaction.hpp"
#include "model/volumes.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

bool data_space_fits(const btrfs_space_info& sinfo, uint64_t bytes) {
  return btrfs_space_info_used(sinfo) + bytes <= sinfo.total_bytes;
}

// flush_space(ALLOC_CHUNK_FORCE) for data: btrfs_chunk_alloc(CHUNK_ALLOC_FORCE) in a joined transaction;
// -ENOSPC marks the space info full. Returns whether a chunk was added.
bool alloc_chunk_force(btrfs_fs_info& fs_info, btrfs_space_info& sinfo) {
  btrfs_trans_handle trans = btrfs_join_transaction(fs_info);
  const int ret = btrfs_force_chunk_alloc(trans, BTRFS_BLOCK_GROUP_DATA);
  btrfs_end_transaction(trans);
  if (ret < 0) sinfo.full = true;
  return ret > 0;
}

}  // namespace

btrfs_space_info& btrfs_data_sinfo(btrfs_fs_info& fs_info) { return btrfs_find_space_info(fs_info, BTRFS_BLOCK_GROUP_DATA); }

void btrfs_space_info_update_bytes_may_use(btrfs_fs_info&, btrfs_space_info& sinfo, int64_t bytes, const char* caller) {
  sched::FootprintScope scope(sched::declared().writes_to(fp::space_info()));  // complete: one counter
  if (bytes < 0 && sinfo.bytes_may_use < uint64_t(-bytes)) {
    const uint64_t had = sinfo.bytes_may_use;
    sinfo.bytes_may_use = 0;
    FSRACE_WARN_ON(true, "btrfs_space_info_update_bytes_may_use (from {}): WARN_ON(1): bytes_may_use underflow: {} - {} "
                   "(space_info {:#x})", caller, had, -bytes, sinfo.flags);
    return;  // as the kernel's update helper: clamped to 0, the decrement not applied
  }
  sinfo.bytes_may_use = uint64_t(int64_t(sinfo.bytes_may_use) + bytes);
}

void btrfs_space_info_free_bytes_may_use(btrfs_fs_info& fs_info, btrfs_space_info& sinfo, uint64_t bytes,
                                         const char* caller) {
  btrfs_space_info_update_bytes_may_use(fs_info, sinfo, -int64_t(bytes), caller);
}

int btrfs_reserve_data_bytes(btrfs_fs_info& fs_info, uint64_t bytes, btrfs_reserve_flush flush) {
  // Complete for the fast path: the data space info's counters; the flush below is not declared.
  sched::FootprintScope scope(sched::declared().writes_to(fp::space_info()));
  btrfs_space_info& sinfo = btrfs_data_sinfo(fs_info);
  // __reserve_bytes: the check and the increment under space_info->lock, in the caller's step.
  if (data_space_fits(sinfo, bytes)) {
    btrfs_space_info_update_bytes_may_use(fs_info, sinfo, int64_t(bytes), "btrfs_reserve_data_bytes");
    return 0;
  }
  if (flush == btrfs_reserve_flush::no_flush) return -ENOSPC;
  // The flush: chunk allocation in a joined transaction (alloc_chunk_force: btrfs_join_transaction and
  // btrfs_end_transaction open their own scopes; btrfs_force_chunk_alloc has none: the space info's
  // chunk_alloc and full, chunk_mutex and chunk_alloc_wait (primitives), check_system_chunk (system
  // space info, chunk_block_rsv, the transaction's chunk_bytes_reserved, a system chunk), btrfs_create_chunk
  // (devices' bytes_used, the transaction's dev_update_list, the chunk map, btrfs_make_block_group: the
  // block group cache, the space info, dirty_bgs), the chunk item insert (tree code, own scopes), an
  // abort's log line), the commit (btrfs_commit_attached: attach, wait_for_commit, the commit's own
  // scopes) and the data space info's counters: no inode, nothing of the oracle (fp::all_but_inodes).
  sched::FootprintScope flushing(fp::all_but_inodes());
  // The ticket's wait for btrfs_async_reclaim_data_space, run here: chunks until the space is full...
  sched::point(sched::L("btrfs_async_reclaim_data_space({} bytes)", bytes));
  for (int i = 0; i < 64 && !sinfo.full; i++) {  // each pass adds a chunk or marks the space full
    alloc_chunk_force(fs_info, sinfo);
    if (data_space_fits(sinfo, bytes)) {
      btrfs_space_info_update_bytes_may_use(fs_info, sinfo, int64_t(bytes), "btrfs_reserve_data_bytes");
      return 0;
    }
  }
  // ... then data_flush_states: COMMIT_TRANS unpins what the running transaction freed, ALLOC_CHUNK_FORCE.
  btrfs_commit_attached(fs_info);
  if (data_space_fits(sinfo, bytes)) {
    btrfs_space_info_update_bytes_may_use(fs_info, sinfo, int64_t(bytes), "btrfs_reserve_data_bytes");
    return 0;
  }
  if (alloc_chunk_force(fs_info, sinfo) && data_space_fits(sinfo, bytes)) {
    btrfs_space_info_update_bytes_may_use(fs_info, sinfo, int64_t(bytes), "btrfs_reserve_data_bytes");
    return 0;
  }
  // maybe_fail_all_tickets: the space is full and no flush state made progress.
  return -ENOSPC;
}

}  // namespace fsrace::model
