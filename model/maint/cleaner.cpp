#include "model/maint/cleaner.hpp"

#include <cerrno>

#include <fmt/format.h>

#include "model/block_group.hpp"
#include "model/fs_info.hpp"
#include "model/transaction.hpp"
#include "model/volumes.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

// "We could have pending pinned extents for this block group, just delete them, we don't care about
// them anymore" (clear_extent_bits on freed_extents), and reset pinned so the group's space goes away
// with it.
void drop_pinned_extents(btrfs_fs_info& fs_info, btrfs_block_group_cache& bg) {
  for (auto it = fs_info.pinned_extents.lower_bound(bg.start); it != fs_info.pinned_extents.end() && it->first < bg.end();)
    it = fs_info.pinned_extents.erase(it);
  btrfs_space_info& sinfo = btrfs_find_space_info(fs_info, bg.flags);
  sinfo.bytes_pinned -= bg.pinned;
  sinfo.bytes_readonly += bg.pinned;
  bg.pinned = 0;
}

// Tries to remove one group taken off unused_bgs. The caller holds delete_unused_bgs_mutex.
void delete_one_unused_bg(btrfs_fs_info& fs_info, const block_group_ptr& bg) {
  btrfs_space_info& sinfo = btrfs_find_space_info(fs_info, bg->flags);
  // Don't race with allocators: take groups_sem; the checks run under bg->lock in the same step.
  sinfo.groups_sem.down_write();
  const bool last_of_kind = sinfo.block_groups.size() == 1;  // list_is_singular(&block_group->list)
  if (bg->removed || bg->reserved || bg->used || bg->ro || last_of_kind) {
    // New allocations, outstanding reservations, or balance / scrub acting on it.
    sinfo.groups_sem.up_write();
    return;
  }
  // Only flip to read-only if the space info can absorb it (inc_block_group_ro(cache, 0)).
  int ret = btrfs_inc_block_group_ro(fs_info, *bg, false);
  sinfo.groups_sem.up_write();
  if (ret < 0) return;
  btrfs_trans_handle trans = btrfs_start_transaction(fs_info);  // btrfs_start_trans_remove_block_group
  drop_pinned_extents(fs_info, *bg);
  ret = btrfs_remove_chunk(trans, bg->start);
  if (ret) fs_info.log(fmt::format("BTRFS error: btrfs_remove_chunk({}) failed: {}", bg->start, ret));
  btrfs_end_transaction(trans);
}

}  // namespace

void btrfs_delete_unused_bgs(btrfs_fs_info& fs_info) {
  fs_info.unused_bgs_lock.lock();
  // Bounded: every pass takes one entry off the list, and only this loop's failures could add one back.
  for (size_t pass = 0; !fs_info.unused_bgs.empty(); ++pass) {
    FSRACE_MODEL_CHECK(pass < (1u << 20), "btrfs_delete_unused_bgs does not progress");
    const uint64_t start = fs_info.unused_bgs.front();
    fs_info.unused_bgs.erase(fs_info.unused_bgs.begin());
    // The list holds a reference in the kernel; by key here, so a group gone meanwhile is just skipped.
    block_group_ptr bg = btrfs_lookup_block_group(fs_info, start);
    if (!bg || bg->start != start) continue;
    bg->on_unused_list = false;  // list_del_init(&block_group->bg_list)
    fs_info.unused_bgs_lock.unlock();
    fs_info.delete_unused_bgs_mutex.lock();
    delete_one_unused_bg(fs_info, bg);
    fs_info.delete_unused_bgs_mutex.unlock();
    fs_info.unused_bgs_lock.lock();
  }
  fs_info.unused_bgs_lock.unlock();
}

int btrfs_mark_empty_bgs_unused(btrfs_fs_info& fs_info) {
  sched::point(sched::L("btrfs_read_block_groups: mark empty groups unused"));
  int added = 0;
  for (auto& [start, bg] : fs_info.block_group_cache_tree) {
    if (bg->used != 0 || bg->on_unused_list) continue;
    btrfs_mark_bg_unused(fs_info, *bg);
    added++;
  }
  return added;
}

int btrfs_force_chunk_alloc(btrfs_fs_info& fs_info, uint64_t type, int count) {
  type &= BTRFS_BLOCK_GROUP_TYPE_MASK;
  const char* kind = (type & BTRFS_BLOCK_GROUP_DATA) ? "data" : (type & BTRFS_BLOCK_GROUP_SYSTEM) ? "system" : "metadata";
  const uint64_t flags = type | fs_info.profiles.at(kind);
  btrfs_trans_handle trans = btrfs_start_transaction(fs_info);
  int ret = 0;
  for (int i = 0; i < count && ret == 0; ++i) {
    fs_info.chunk_mutex.lock();
    const int64_t r = btrfs_alloc_chunk(trans, flags);
    fs_info.chunk_mutex.unlock();
    if (r < 0) ret = int(r);
  }
  const int commit = btrfs_commit_transaction(trans);
  return ret ? ret : commit;
}

}  // namespace fsrace::model
