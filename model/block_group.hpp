// Block groups and space infos (fs/btrfs/extent-tree.c of the 4.x era; block-group.c later).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "scheduler/sync/atomic.hpp"
#include "scheduler/sync/rw_semaphore.hpp"
#include "scheduler/sync/mutex.hpp"
#include "scheduler/sync/wait_queue.hpp"

namespace fsrace::model {

struct btrfs_fs_info;
struct btrfs_trans_handle;

struct btrfs_block_group_cache {
  uint64_t start = 0;   // key.objectid: logical start of the chunk
  uint64_t length = 0;  // key.offset
  uint64_t flags = 0;   // type | profile
  uint64_t used = 0;    // btrfs_block_group_item.used, kept in memory and written at commit
  uint64_t pinned = 0, reserved = 0;
  // Bytes of the group over a super block copy (exclude_super_stripes): never free, counted read-only in
  // the space info from the group's creation (btrfs_add_bg_to_space_info).
  uint64_t bytes_super = 0;
  int ro = 0;           // counter: btrfs_inc_block_group_ro / btrfs_dec_block_group_ro
  bool removed = false; // set by btrfs_remove_block_group
  // Tasks that must keep the group's logical range and device extents from being reused while they work
  // on it without a transaction (fitrim; scrub in 6.1, not modelled): btrfs_remove_block_group leaves the
  // extent map in place while frozen > 0, the last btrfs_unfreeze_block_group removes it (04216820fe83).
  int frozen = 0;
  bool dirty = false;   // on the transaction's dirty_bgs list: its item is updated at commit
  bool on_unused_list = false;  // on fs_info->unused_bgs
  // BLOCK_GROUP_FLAG_NEW, bg_list on trans->new_bgs: from btrfs_make_block_group until
  // btrfs_create_pending_block_groups inserted its items; btrfs_mark_bg_unused leaves it alone.
  bool on_new_bgs = false;
  // bg_list on trans->transaction->deleted_bgs: removed by the cleaner with -o discard, discarded and
  // unfrozen by btrfs_finish_extent_commit.
  bool on_deleted_bgs = false;
  // BLOCK_GROUP_FLAG_CHUNK_ITEM_INSERTED: btrfs_chunk_alloc_add_chunk_item inserted its chunk item (phase 1,
  // 79bd37120b14); phase 2 (btrfs_create_pending_block_groups) inserts it otherwise.
  bool chunk_item_inserted = false;
  // list_empty(&block_group->bg_list): the kernel's one list_head for unused_bgs, new_bgs and deleted_bgs.
  bool bg_list_empty() const { return !on_unused_list && !on_new_bgs && !on_deleted_bgs; }
  sched::SpinLock lock{"block_group->lock"};
  sched::Atomic reservations{"block_group->reservations"};  // 9cfa3e34e20e
  sched::Atomic nocow_writers{"block_group->nocow_writers"};  // f78c436c3931
  // Free space (free_space_ctl): start -> length of free ranges, not counting pinned or reserved.
  std::map<uint64_t, uint64_t> free_space;

  uint64_t end() const { return start + length; }
  uint64_t free_bytes() const;
};
using block_group_ptr = std::shared_ptr<btrfs_block_group_cache>;

struct btrfs_space_info {
  uint64_t flags = 0;  // BTRFS_BLOCK_GROUP_DATA / METADATA / SYSTEM
  uint64_t total_bytes = 0, bytes_used = 0, bytes_reserved = 0, bytes_pinned = 0, bytes_readonly = 0;
  // Reserved for writes that have no extent yet (space_info.hpp). Kept for the data space_info only.
  uint64_t bytes_may_use = 0;
  // Model bookkeeping, no kernel field: EXTENT_NORESERVE bytes that got an extent through cow_file_range
  // (fallback_to_cow without 467dc47ea99c), whose allocation took off bytes_may_use they never added.
  // The end-of-execution self-check (fsck) allows for them.
  uint64_t unreserved_cow_bytes = 0;
  bool full = false;
  // space_info->chunk_alloc: a task is in btrfs_chunk_alloc for this space info; others wait for it.
  bool chunk_alloc = false;
  // Not a kernel object: btrfs_chunk_alloc's loop retries (mutex_lock/unlock of chunk_mutex, cond_resched)
  // while chunk_alloc is set, which has no effect until it clears; the model sleeps here until it does.
  sched::WaitQueue chunk_alloc_wait{"space_info->chunk_alloc"};
  sched::RwSemaphore groups_sem{"space_info->groups_sem"};
  std::vector<uint64_t> block_groups;  // starts, in creation order (the kernel's per-raid lists)
};

// Lookups in fs_info->block_group_cache_tree.
block_group_ptr btrfs_lookup_block_group(btrfs_fs_info& fs_info, uint64_t bytenr);  // group containing bytenr
block_group_ptr btrfs_lookup_first_block_group(btrfs_fs_info& fs_info, uint64_t bytenr);  // first with start >= bytenr
btrfs_space_info& btrfs_find_space_info(btrfs_fs_info& fs_info, uint64_t flags);

// btrfs_space_info_used(sinfo, true): what is used, reserved, pinned, read-only and may be used
// (bytes_may_use: kept for data; metadata reservations are not modelled, 0).
uint64_t btrfs_space_info_used(const btrfs_space_info& sinfo);
// fs_info->free_chunk_space: device space not allocated to chunks, over the writable devices.
uint64_t btrfs_free_chunk_space(btrfs_fs_info& fs_info);
// btrfs_can_overcommit(..., BTRFS_RESERVE_NO_FLUSH): metadata and system may overcommit up to half the
// unallocated space (divided by the profile's copies); data never overcommits.
bool btrfs_can_overcommit(btrfs_fs_info& fs_info, const btrfs_space_info& sinfo, uint64_t bytes);
// btrfs_get_alloc_profile: the type's bits with the profile new chunks of that type get.
uint64_t btrfs_get_alloc_profile(btrfs_fs_info& fs_info, uint64_t flags);

// Read-only counter. inc_block_group_ro (block-group.c, static there; the cleaner calls it directly under
// groups_sem): one step under space_info->lock and cache->lock. Without `force` it fails with -ENOSPC when
// the space info could not absorb the group's free bytes (data: straight check; metadata and system:
// btrfs_can_overcommit with NO_FLUSH).
int inc_block_group_ro(btrfs_fs_info& fs_info, btrfs_block_group_cache& cache, bool force);
// btrfs_inc_block_group_ro as 6.1: joins a transaction and takes ro_block_group_mutex, backing off and
// waiting for the commit when the transaction already writes its dirty block groups
// (BTRFS_TRANS_DIRTY_BG_RUN); then inc_block_group_ro(cache, 0), and on -ENOSPC a forced chunk of the
// space info's profile and one retry, except for a SYSTEM group without do_chunk_alloc. do_chunk_alloc
// (relocation, device replace) also first allocates a chunk when the profile changes.
int btrfs_inc_block_group_ro(btrfs_fs_info& fs_info, btrfs_block_group_cache& cache, bool do_chunk_alloc);
void btrfs_dec_block_group_ro(btrfs_fs_info& fs_info, btrfs_block_group_cache& cache);

// 9cfa3e34e20e: extents reserved by find_free_extent whose ordered extent does not exist yet.
void btrfs_inc_block_group_reservations(btrfs_block_group_cache& bg);
void btrfs_dec_block_group_reservations(btrfs_fs_info& fs_info, uint64_t start);
void btrfs_wait_block_group_reservations(btrfs_fs_info& fs_info, btrfs_block_group_cache& bg);
// f78c436c3931: nocow writers. inc fails (returns false) on a read-only group only with the fix on.
bool btrfs_inc_nocow_writers(btrfs_fs_info& fs_info, uint64_t bytenr);
void btrfs_dec_nocow_writers(btrfs_fs_info& fs_info, uint64_t bytenr);
void btrfs_wait_nocow_writers(btrfs_block_group_cache& bg);

// exclude_super_stripes: the group's ranges over a super block copy leave its free space for bytes_super.
void exclude_super_stripes(btrfs_fs_info& fs_info, btrfs_block_group_cache& bg);
// Creation and removal (btrfs_make_block_group, btrfs_remove_block_group).
block_group_ptr btrfs_make_block_group(btrfs_trans_handle& trans, uint64_t bytes_used, uint64_t type,
                                       uint64_t chunk_offset, uint64_t size);
int btrfs_remove_block_group(btrfs_trans_handle& trans, uint64_t group_start);
// btrfs_update_block_group: used/reserved/pinned accounting when delayed refs run.
void btrfs_update_block_group(btrfs_trans_handle& trans, uint64_t bytenr, uint64_t num_bytes, bool alloc);
// Puts an empty group on fs_info->unused_bgs for the cleaner (btrfs_mark_bg_unused).
void btrfs_mark_bg_unused(btrfs_fs_info& fs_info, btrfs_block_group_cache& bg);

// The allocator (find_free_extent): the first fit in a writable block group of the type, allocating
// a chunk when none fits. Returns 0 and the extent, or -ENOSPC.
struct btrfs_key_ins { uint64_t objectid = 0, offset = 0; };  // ins.objectid = bytenr, ins.offset = bytes
// `trans`: the caller's handle, used for a chunk allocation (else one is joined).
int btrfs_reserve_extent(btrfs_fs_info& fs_info, uint64_t type, uint64_t num_bytes, btrfs_key_ins& ins,
                         bool is_data_for_reservations, btrfs_trans_handle* trans = nullptr);
// Gives a reserved extent back without using it (btrfs_free_reserved_extent).
void btrfs_free_reserved_extent(btrfs_fs_info& fs_info, uint64_t start, uint64_t len);
// Space accounting hooks used by the extent tree.
void btrfs_add_free_space(btrfs_block_group_cache& bg, uint64_t start, uint64_t len);
// btrfs_freeze_block_group / btrfs_unfreeze_block_group (block-group.c): see `frozen`.
void btrfs_freeze_block_group(btrfs_block_group_cache& bg);
void btrfs_unfreeze_block_group(btrfs_fs_info& fs_info, btrfs_block_group_cache& bg);
bool btrfs_remove_free_space(btrfs_block_group_cache& bg, uint64_t start, uint64_t len);

}  // namespace fsrace::model
