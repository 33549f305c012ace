#include "model/maint/cleaner.hpp"

#include <cerrno>

#include <fmt/format.h>

#include "model/block_group.hpp"
#include "model/discard.hpp"
#include "model/chunk_alloc.hpp"
#include "model/fs_info.hpp"
#include "model/transaction.hpp"
#include "model/volumes.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

// clean_pinned_extents and "Reset pinned so btrfs_put_block_group doesn't complain": pending pinned
// extents of the group are dropped and its pinned bytes become read-only bytes, which go with the group.
// (6.1.192 skips a group with pinned bytes before this, so there is normally nothing to drop.)
void drop_pinned_extents(btrfs_fs_info& fs_info, btrfs_block_group_cache& bg) {
  for (auto it = fs_info.pinned_extents.lower_bound(bg.start); it != fs_info.pinned_extents.end() && it->first < bg.end();)
    it = fs_info.pinned_extents.erase(it);
  btrfs_space_info& sinfo = btrfs_find_space_info(fs_info, bg.flags);
  sinfo.bytes_pinned -= bg.pinned;
  sinfo.bytes_readonly += bg.pinned;
  bg.pinned = 0;
}

enum class outcome { skipped, retry_later, removed };

// list_move(&block_group->bg_list, &trans->transaction->deleted_bgs): off whatever list it is on (a scrub may
// have put it back on unused_bgs, 758f2dfcf8a2), onto deleted_bgs; the transaction takes a reference.
void list_move_to_deleted_bgs(btrfs_fs_info& fs_info, btrfs_trans_handle& trans, const block_group_ptr& bg) {
  if (bg->on_unused_list) {
    std::erase(fs_info.unused_bgs, bg->start);  // the mapping is kept (frozen): no other group has this start
    bg->on_unused_list = false;
  }
  bg->on_deleted_bgs = true;
  trans.transaction->deleted_bgs.push_back(bg);
}

void move_to_deleted_bgs(btrfs_fs_info& fs_info, btrfs_trans_handle& trans, const block_group_ptr& bg) {
  if (fs_info.fixes.has("bffcdf9da76b")) {
    // "A concurrent scrub might have added us to the list fs_info->unused_bgs, so use a list_move operation
    // to add the block group to the deleted_bgs list", under the lock of the list it leaves.
    fs_info.unused_bgs_lock.lock();
    list_move_to_deleted_bgs(fs_info, trans, bg);
    fs_info.unused_bgs_lock.unlock();
    return;
  }
  // Before it: the group was expected on no list, and the move took only the destination's lock.
  FSRACE_WARN_ON(!bg->bg_list_empty(), "btrfs_delete_unused_bgs: WARN_ON(!list_empty(&block_group->bg_list)): bg {} "
                 "is on fs_info->unused_bgs again, moved to deleted_bgs without unused_bgs_lock", bg->start);
  trans.transaction->deleted_bgs_lock.lock();
  list_move_to_deleted_bgs(fs_info, trans, bg);
  trans.transaction->deleted_bgs_lock.unlock();
}

// One group taken off unused_bgs, as the body of 6.1's loop. The caller holds reclaim_bgs_lock.
outcome delete_one_unused_bg(btrfs_fs_info& fs_info, const block_group_ptr& bg, int& ret) {
  btrfs_space_info& sinfo = btrfs_find_space_info(fs_info, bg->flags);
  // Don't race with allocators: groups_sem; the checks run under space_info->lock and bg->lock, one step.
  sinfo.groups_sem.down_write();
  const bool last_of_kind = sinfo.block_groups.size() == 1;  // list_is_singular(&block_group->list)
  // btrfs_is_block_group_used (used, reserved or pinned), or balance / scrub acting on it (ro).
  if (bg->removed || bg->used || bg->reserved || bg->pinned || bg->ro || last_of_kind) {
    sinfo.groups_sem.up_write();
    return outcome::skipped;
  }
  // Tasks may rely on this group's space (the space info's use exceeds what is left without it):
  // try again at the next pass. bytes_may_use is not modelled (0).
  if (sinfo.total_bytes - bg->length < btrfs_space_info_used(sinfo)) {
    sinfo.groups_sem.up_write();
    return outcome::retry_later;
  }
  // "We don't want to force the issue, only flip if it's ok": inc_block_group_ro(cache, 0), no transaction.
  ret = inc_block_group_ro(fs_info, *bg, false);
  sinfo.groups_sem.up_write();
  if (ret < 0) {
    ret = 0;
    return outcome::skipped;
  }
  btrfs_trans_handle trans = btrfs_start_transaction(fs_info);  // btrfs_start_trans_remove_block_group
  // clean_pinned_extents under unused_bg_unpin_mutex: one step here, as the model's unpin at commit is.
  drop_pinned_extents(fs_info, *bg);
  // -o discard: the implicit trim at commit. Frozen, the group keeps its chunk mapping (its logical range
  // and device extents are not reused) until btrfs_finish_extent_commit discarded it and unfroze it.
  const bool trimming = btrfs_test_opt_discard_sync(fs_info);
  if (trimming) btrfs_freeze_block_group(*bg);
  // "Btrfs_remove_chunk will abort the transaction if things go horribly wrong."
  ret = btrfs_remove_chunk(trans, bg->start);
  if (trimming) move_to_deleted_bgs(fs_info, trans, bg);
  btrfs_end_transaction(trans);
  return outcome::removed;
}

}  // namespace

void btrfs_delete_unused_bgs(btrfs_fs_info& fs_info) {
  // "Long running balances can keep us blocked here for eternity, so simply skip deletion if we're unable
  // to get the mutex."
  if (!fs_info.reclaim_bgs_lock.trylock()) return;
  std::vector<uint64_t> retry_list;
  int ret = 0;  // once an error happened, the rest of the list is only emptied
  fs_info.unused_bgs_lock.lock();
  // Bounded: every pass takes one entry off the list; only a concurrent scrub or free adds entries, and
  // the groups they add are finite.
  for (size_t pass = 0; !fs_info.unused_bgs.empty(); ++pass) {
    FSRACE_MODEL_CHECK(pass < (1u << 20), "btrfs_delete_unused_bgs does not progress");
    const uint64_t start = fs_info.unused_bgs.front();
    fs_info.unused_bgs.erase(fs_info.unused_bgs.begin());
    // The list holds a reference in the kernel; by key here, so a group gone meanwhile is just skipped.
    block_group_ptr bg = btrfs_lookup_block_group(fs_info, start);
    // The kernel's entry holds the group object; the model's holds its start. A group removed meanwhile (off
    // the cache tree), or another group now at that start that is not marked unused, is not this entry's:
    // the kernel would find the removed group read-only and skip it.
    if (!bg || bg->start != start || !bg->on_unused_list) continue;
    bg->on_unused_list = false;  // list_del_init(&block_group->bg_list)
    if (ret) continue;
    fs_info.unused_bgs_lock.unlock();
    if (delete_one_unused_bg(fs_info, bg, ret) == outcome::retry_later) retry_list.push_back(start);
    fs_info.unused_bgs_lock.lock();
  }
  // list_splice_tail(&retry_list, &fs_info->unused_bgs)
  for (uint64_t start : retry_list) {
    block_group_ptr bg = btrfs_lookup_block_group(fs_info, start);
    if (!bg || bg->start != start || bg->on_unused_list) continue;
    bg->on_unused_list = true;
    fs_info.unused_bgs.push_back(start);
  }
  fs_info.unused_bgs_lock.unlock();
  fs_info.reclaim_bgs_lock.unlock();
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
  btrfs_trans_handle trans = btrfs_start_transaction(fs_info);
  int ret = 0;
  for (int i = 0; i < count && ret == 0; ++i) {
    const int r = btrfs_force_chunk_alloc(trans, type);
    if (r < 0) ret = r;
  }
  const int commit = btrfs_commit_transaction(trans);
  return ret ? ret : commit;
}

}  // namespace fsrace::model
