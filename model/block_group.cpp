#include "model/block_group.hpp"

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "model/chunk_alloc.hpp"
#include "model/chunk_reserve.hpp"
#include "model/footprints.hpp"
#include "model/fs_info.hpp"
#include "model/ondisk/super_block.hpp"
#include "model/space_info.hpp"
#include "model/transaction.hpp"
#include "model/volumes.hpp"
#include "scheduler/footprint.hpp"
#include "scheduler/scheduler.hpp"
#include "scheduler/sync/wait_var.hpp"
#include "model/transaction_abort.hpp"

namespace fsrace::model {

uint64_t btrfs_block_group_cache::free_bytes() const {
  uint64_t f = 0;
  for (auto& [s, l] : free_space) f += l;
  return f;
}

block_group_ptr btrfs_lookup_block_group(btrfs_fs_info& fs_info, uint64_t bytenr) {
  auto it = fs_info.block_group_cache_tree.upper_bound(bytenr);
  if (it == fs_info.block_group_cache_tree.begin()) return nullptr;
  --it;
  return bytenr < it->second->end() ? it->second : nullptr;
}

block_group_ptr btrfs_lookup_first_block_group(btrfs_fs_info& fs_info, uint64_t bytenr) {
  auto it = fs_info.block_group_cache_tree.lower_bound(bytenr);
  return it == fs_info.block_group_cache_tree.end() ? nullptr : it->second;
}

btrfs_space_info& btrfs_find_space_info(btrfs_fs_info& fs_info, uint64_t flags) {
  for (auto& s : fs_info.space_info)
    if (s.flags == (flags & BTRFS_BLOCK_GROUP_TYPE_MASK)) return s;
  FSRACE_MODEL_CHECK(false, "no space info for flags {:#x}", flags);
  __builtin_unreachable();
}

void btrfs_add_free_space(btrfs_block_group_cache& bg, uint64_t start, uint64_t len) {
  FSRACE_MODEL_CHECK(start >= bg.start && start + len <= bg.end(), "free space {} {} outside bg {}", start, len, bg.start);
  auto next = bg.free_space.lower_bound(start);
  if (next != bg.free_space.begin()) {
    auto prev = std::prev(next);
    FSRACE_ASSERT(prev->first + prev->second <= start, "free space overlap at {} in bg {}", start, bg.start);
    if (prev->first + prev->second == start) {
      start = prev->first;
      len += prev->second;
      bg.free_space.erase(prev);
    }
  }
  if (next != bg.free_space.end()) {
    FSRACE_ASSERT(start + len <= next->first, "free space overlap at {} in bg {}", start, bg.start);
    if (start + len == next->first) {
      len += next->second;
      bg.free_space.erase(next);
    }
  }
  bg.free_space[start] = len;
}

bool btrfs_remove_free_space(btrfs_block_group_cache& bg, uint64_t start, uint64_t len) {
  auto it = bg.free_space.upper_bound(start);
  if (it == bg.free_space.begin()) return false;
  --it;
  const uint64_t fs = it->first, fl = it->second;
  if (start + len > fs + fl) return false;
  bg.free_space.erase(it);
  if (start > fs) bg.free_space[fs] = start - fs;
  if (start + len < fs + fl) bg.free_space[start + len] = fs + fl - (start + len);
  return true;
}

uint64_t btrfs_space_info_used(const btrfs_space_info& sinfo) {
  return sinfo.bytes_used + sinfo.bytes_reserved + sinfo.bytes_pinned + sinfo.bytes_readonly + sinfo.bytes_may_use;
}

uint64_t btrfs_free_chunk_space(btrfs_fs_info& fs_info) {
  uint64_t avail = 0;
  for (auto& [id, d] : fs_info.devices)
    if (!d->missing && !d->is_tgtdev_for_dev_replace && d->total_bytes > d->bytes_used) avail += d->total_bytes - d->bytes_used;
  return avail;
}

uint64_t btrfs_get_alloc_profile(btrfs_fs_info& fs_info, uint64_t flags) {
  const uint64_t type = flags & BTRFS_BLOCK_GROUP_TYPE_MASK;
  const char* kind = (type & BTRFS_BLOCK_GROUP_DATA) ? "data" : (type & BTRFS_BLOCK_GROUP_SYSTEM) ? "system" : "metadata";
  return type | fs_info.profiles.at(kind);
}

bool btrfs_can_overcommit(btrfs_fs_info& fs_info, const btrfs_space_info& sinfo, uint64_t bytes) {
  if (sinfo.flags & BTRFS_BLOCK_GROUP_DATA) return false;
  // calc_available_free_space: dup and raid1 halve the unallocated space; NO_FLUSH overcommits up to half.
  const uint64_t profile = btrfs_get_alloc_profile(fs_info, sinfo.flags);
  const uint64_t avail = btrfs_free_chunk_space(fs_info) / uint64_t(profile_num_stripes(profile)) / 2;
  return btrfs_space_info_used(sinfo) + bytes < sinfo.total_bytes + avail;
}

int inc_block_group_ro(btrfs_fs_info& fs_info, btrfs_block_group_cache& cache, bool force) {
  btrfs_space_info& sinfo = btrfs_find_space_info(fs_info, cache.flags);
  // Under space_info->lock and cache->lock: one step with the caller's last point. No swap files in the
  // model, so never -ETXTBSY.
  if (cache.ro) {
    cache.ro++;
    return 0;
  }
  const uint64_t num_bytes = cache.length - cache.reserved - cache.pinned - cache.bytes_super - cache.used;
  bool ok = force;
  if (!ok && (sinfo.flags & BTRFS_BLOCK_GROUP_DATA))
    ok = btrfs_space_info_used(sinfo) + num_bytes <= sinfo.total_bytes;  // data never overcommits
  else if (!ok)
    ok = btrfs_can_overcommit(fs_info, sinfo, num_bytes);
  if (!ok) return -ENOSPC;
  sinfo.bytes_readonly += num_bytes;
  cache.ro++;
  return 0;
}

// exclude_super_stripes (6.1), with add_new_free_space skipping what it excluded: every logical range of
// the group that maps to a super block copy on any device is taken out of the free space and counted in
// bytes_super. Chunks start at logical 1 MiB and physical 1 MiB, so the primary copy at 64 KiB is never in
// one (the kernel's `start < BTRFS_SUPER_INFO_OFFSET` case); the copy at 64 MiB is, on a device of more than
// 64 MiB, in the chunk whose stripe covers it.
void exclude_super_stripes(btrfs_fs_info& fs_info, btrfs_block_group_cache& bg) {
  FSRACE_MODEL_CHECK(bg.start >= ondisk::BTRFS_SUPER_INFO_OFFSET, "block group {} below the super block", bg.start);
  auto map = fs_info.mapping_tree.find(bg.start);
  FSRACE_MODEL_CHECK(map != fs_info.mapping_tree.end(), "exclude_super_stripes: no chunk map for bg {}", bg.start);
  for (int i = 0; i < ondisk::BTRFS_SUPER_MIRROR_MAX; ++i) {
    uint64_t stripe_len = 0;
    for (uint64_t logical : btrfs_rmap_block(*map->second, ondisk::btrfs_sb_offset(i), &stripe_len)) {
      const uint64_t len = std::min(stripe_len, bg.end() - logical);
      bg.bytes_super += len;
      // btrfs_add_excluded_extent: add_new_free_space leaves the range out.
      for (uint64_t at = logical; at < logical + len;) {
        auto it = bg.free_space.upper_bound(at);
        FSRACE_MODEL_CHECK(it != bg.free_space.begin(), "super stripe {} of bg {} not free", at, bg.start);
        --it;
        const uint64_t piece_end = std::min(logical + len, it->first + it->second);
        FSRACE_MODEL_CHECK(at < it->first + it->second, "super stripe {} of bg {} not free", at, bg.start);
        btrfs_remove_free_space(bg, at, piece_end - at);
        at = piece_end;
      }
    }
  }
}

namespace {

// btrfs_chunk_alloc(trans, flags, CHUNK_ALLOC_FORCE) as btrfs_inc_block_group_ro calls it.
int force_chunk_alloc(btrfs_trans_handle& trans, uint64_t flags) {
  const int ret = btrfs_chunk_alloc(trans, flags, chunk_alloc_force::force);
  return ret < 0 ? ret : 0;
}

}  // namespace

int btrfs_inc_block_group_ro(btrfs_fs_info& fs_info, btrfs_block_group_cache& cache, bool do_chunk_alloc) {
  sched::point(sched::L("btrfs_inc_block_group_ro(bg {})", cache.start));
  btrfs_trans_handle trans;
  for (int tries = 0;; ++tries) {  // bounded: each retry waits for a commit to complete
    FSRACE_MODEL_CHECK(tries < 64, "btrfs_inc_block_group_ro(bg {}) does not progress", cache.start);
    trans = btrfs_join_transaction(fs_info);
    // Not allowed once the dirty block groups started writing: back off and let the transaction commit.
    fs_info.ro_block_group_mutex.lock();
    if (!trans.transaction->dirty_bg_run) break;
    transaction_ptr cur = trans.transaction;
    fs_info.ro_block_group_mutex.unlock();
    btrfs_end_transaction(trans);
    btrfs_wait_for_commit(fs_info, cur);
  }
  int ret = 0;
  bool unlock_out = false;  // the kernel's unlock_out: past check_system_chunk
  if (do_chunk_alloc) {
    // Changing raid levels: try a chunk of the new profile first; -ENOSPC is fine here.
    const uint64_t alloc_flags = btrfs_get_alloc_profile(fs_info, cache.flags);
    if (alloc_flags != (cache.flags & (BTRFS_BLOCK_GROUP_TYPE_MASK | BTRFS_BLOCK_GROUP_PROFILE_MASK))) {
      ret = force_chunk_alloc(trans, alloc_flags);
      if (ret == -ENOSPC) ret = 0;
    }
  }
  if (ret == 0) {
    ret = inc_block_group_ro(fs_info, cache, false);
    // A SYSTEM group without do_chunk_alloc gets no new chunk (no system chunk allocation storm).
    if (ret == -ENOSPC && !do_chunk_alloc && (cache.flags & BTRFS_BLOCK_GROUP_SYSTEM)) {
      unlock_out = true;
    } else if (ret == -ENOSPC) {
      ret = force_chunk_alloc(trans, btrfs_get_alloc_profile(fs_info, cache.flags));
      if (ret == 0) ret = inc_block_group_ro(fs_info, cache, false);
    }
  }
  // out: a read-only SYSTEM group leaves less system space: reserve for the chunk tree updates to come
  // (allocating a system chunk when needed); released when this handle ends.
  if (!unlock_out && (cache.flags & BTRFS_BLOCK_GROUP_SYSTEM)) {
    fs_info.chunk_mutex.lock();
    check_system_chunk(trans, btrfs_get_alloc_profile(fs_info, cache.flags));
    fs_info.chunk_mutex.unlock();
  }
  fs_info.ro_block_group_mutex.unlock();
  btrfs_end_transaction(trans);
  return ret;
}

void btrfs_dec_block_group_ro(btrfs_fs_info& fs_info, btrfs_block_group_cache& cache) {
  sched::point(sched::L("btrfs_dec_block_group_ro(bg {})", cache.start));
  FSRACE_BUG_ON(!cache.ro, "btrfs_dec_block_group_ro on writable bg {}", cache.start);
  btrfs_space_info& sinfo = btrfs_find_space_info(fs_info, cache.flags);
  if (--cache.ro == 0) {
    // Every byte that became free while the group was read-only was added to bytes_readonly (unpin,
    // btrfs_free_reserved_bytes): what goes back is exactly what the group holds there now.
    const uint64_t num_bytes = cache.length - cache.reserved - cache.pinned - cache.bytes_super - cache.used;
    FSRACE_MODEL_CHECK(sinfo.bytes_readonly >= num_bytes, "btrfs_dec_block_group_ro(bg {}): bytes_readonly {} < {}",
                       cache.start, sinfo.bytes_readonly, num_bytes);
    sinfo.bytes_readonly -= num_bytes;
  }
}

void btrfs_inc_block_group_reservations(btrfs_block_group_cache& bg) { bg.reservations.inc(); }

void btrfs_dec_block_group_reservations(btrfs_fs_info& fs_info, uint64_t start) {
  if (!fs_info.fixes.has("9cfa3e34e20e")) return;  // no counter before the fix
  block_group_ptr bg = btrfs_lookup_block_group(fs_info, start);
  FSRACE_ASSERT(bg, "no block group for reservation at {}", start);
  if (bg->reservations.dec_and_test()) sched::wake_up_var(&bg->reservations, "block_group->reservations");
}

void btrfs_wait_block_group_reservations(btrfs_fs_info& fs_info, btrfs_block_group_cache& bg) {
  sched::point(sched::L("btrfs_wait_block_group_reservations(bg {})", bg.start));
  if (!(bg.flags & BTRFS_BLOCK_GROUP_DATA)) return;
  // An allocator that passed the ro check counts its reservation while it holds groups_sem for
  // reading: taking it for writing waits for every such allocator to have counted.
  btrfs_space_info& sinfo = btrfs_find_space_info(fs_info, bg.flags);
  sinfo.groups_sem.down_write();
  sinfo.groups_sem.up_write();
  sched::wait_var_event(&bg.reservations, "block_group->reservations", [&] { return bg.reservations.peek() == 0; });
}

bool btrfs_inc_nocow_writers(btrfs_fs_info& fs_info, uint64_t bytenr) {
  block_group_ptr bg = btrfs_lookup_block_group(fs_info, bytenr);
  if (!bg) return false;
  sched::point(sched::L("btrfs_inc_nocow_writers(bg {})", bg->start));
  // Without f78c436c3931 there is no counter: nocow writes never look at the group's ro state here.
  if (!fs_info.fixes.has("f78c436c3931")) return true;
  if (bg->ro) return false;  // under bg->lock, in the same step as the increment
  bg->nocow_writers.inc_in_step();
  return true;
}

void btrfs_dec_nocow_writers(btrfs_fs_info& fs_info, uint64_t bytenr) {
  if (!fs_info.fixes.has("f78c436c3931")) return;
  block_group_ptr bg = btrfs_lookup_block_group(fs_info, bytenr);
  FSRACE_MODEL_CHECK(bg, "no block group for nocow writer at {}", bytenr);
  if (bg->nocow_writers.dec_and_test()) sched::wake_up_var(&bg->nocow_writers, "block_group->nocow_writers");
}

void btrfs_wait_nocow_writers(btrfs_block_group_cache& bg) {
  sched::point(sched::L("btrfs_wait_nocow_writers(bg {})", bg.start));
  sched::wait_var_event(&bg.nocow_writers, "block_group->nocow_writers", [&] { return bg.nocow_writers.peek() == 0; });
}

block_group_ptr btrfs_make_block_group(btrfs_trans_handle& trans, uint64_t bytes_used, uint64_t type,
                                       uint64_t chunk_offset, uint64_t size) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  auto bg = std::make_shared<btrfs_block_group_cache>();
  bg->start = chunk_offset;
  bg->lock.set_instance(chunk_offset);  // DPOR footprints: this group's lock, not every group's
  bg->length = size;
  bg->flags = type;
  bg->used = bytes_used;
  bg->dirty = true;
  if (size > bytes_used) bg->free_space[chunk_offset + bytes_used] = size - bytes_used;
  exclude_super_stripes(fs_info, *bg);
  fs_info.block_group_cache_tree[chunk_offset] = bg;
  btrfs_space_info& sinfo = btrfs_find_space_info(fs_info, type);
  sinfo.total_bytes += size;
  sinfo.bytes_used += bytes_used;
  sinfo.bytes_readonly += bg->bytes_super;
  sinfo.full = false;
  sinfo.block_groups.push_back(chunk_offset);
  if (trans.transaction) trans.transaction->dirty_bgs.insert(chunk_offset);
  return bg;
}

int btrfs_remove_block_group(btrfs_trans_handle& trans, uint64_t group_start) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  sched::point(sched::L("btrfs_remove_block_group(bg {})", group_start));
  block_group_ptr bg = btrfs_lookup_block_group(fs_info, group_start);
  FSRACE_BUG_ON(!bg || bg->start != group_start, "btrfs_remove_block_group: no bg at {}", group_start);
  FSRACE_BUG_ON(!bg->ro, "btrfs_remove_block_group: bg {} not read-only", group_start);
  btrfs_space_info& sinfo = btrfs_find_space_info(fs_info, bg->flags);
  // Off the transaction's dirty list (cache_write_mutex, dirty_bgs_lock), then out of
  // block_group_cache_tree (write_lock(block_group_cache_lock)): no new lookup finds it. A holder of a
  // reference keeps the object alive.
  if (trans.transaction) trans.transaction->dirty_bgs.erase(group_start);
  fs_info.block_group_cache_tree.erase(group_start);
  // bg_list is left alone, as 6.1 does: a group still on unused_bgs stays there (the cleaner skips it: it is
  // gone from the cache tree, or another group now has its start and is not marked unused).
  // Off the space info's list under groups_sem: allocators no longer see it.
  sinfo.groups_sem.down_write();
  std::erase(sinfo.block_groups, group_start);
  sinfo.groups_sem.up_write();
  // btrfs_remove_free_space_cache, then the space info's totals under space_info->lock (the step after
  // up_write).
  bg->free_space.clear();
  sinfo.total_bytes -= bg->length;
  // A read-only group holds all its bytes in bytes_readonly by now (its used, reserved and pinned bytes went
  // there as they were freed): the whole length goes (the kernel WARNs otherwise under -o enospc_debug).
  FSRACE_MODEL_CHECK(sinfo.bytes_readonly >= bg->length, "btrfs_remove_block_group(bg {}): bytes_readonly {} < length {}",
                     group_start, sinfo.bytes_readonly, bg->length);
  sinfo.bytes_readonly -= bg->length;
  // The block group item goes (remove_block_group_item) before the extent map with 8eaf40c0e24e: until the
  // item is deleted, a chunk allocated at the same logical start (find_next_chunk reads the mapping tree)
  // would insert the same item key.
  // Still on its allocating handle's new_bgs (BLOCK_GROUP_FLAG_NEW): that handle's phase 2 skips it once
  // removed, and its block group item was never inserted.
  const bool item_pending = bg->on_new_bgs;
  auto remove_block_group_item = [&]() -> int {
    if (item_pending) return 0;  // allocated in this transaction: its item was never inserted
    return btrfs_delete_item(trans, fs_info.extent_root(), {group_start, BTRFS_BLOCK_GROUP_ITEM_KEY, bg->length});
  };
  const bool item_first = fs_info.fixes.has("8eaf40c0e24e");
  // ffcb9d44572a: the item also goes before BLOCK_GROUP_FLAG_REMOVED is set. Before it (5.2 to 5.7) REMOVED
  // and remove_em were decided first and the extent map removed after the item: when the group was frozen,
  // the trim's unfreeze could remove the map before the item was deleted. Without 8eaf40c0e24e the map goes
  // before the item anyway, with or without this fix.
  const bool item_before_removed = item_first && fs_info.fixes.has("ffcb9d44572a");
  if (item_before_removed) {
    if (int ret = remove_block_group_item()) return ret;
  }
  // Under bg->lock: BLOCK_GROUP_FLAG_REMOVED and remove_em = (frozen == 0); then remove_extent_mapping
  // under the mapping tree's lock. A frozen group keeps its extent map, so its logical range and device
  // extents are not reused (find_next_chunk, find_free_dev_extent) until the last unfreeze removes it.
  sched::point(sched::L("btrfs_remove_block_group(bg {}): remove_extent_mapping", group_start));
  bg->removed = true;
  const bool remove_em = bg->frozen == 0;
  if (!item_first) {
    if (remove_em) fs_info.mapping_tree.erase(group_start);
    if (int ret = remove_block_group_item()) return ret;
  } else if (!item_before_removed) {
    if (int ret = remove_block_group_item()) return ret;
    if (remove_em) {
      sched::point(sched::L("btrfs_remove_block_group(bg {}): remove_extent_mapping after the item", group_start));
      fs_info.mapping_tree.erase(group_start);
    }
  } else if (remove_em) {
    fs_info.mapping_tree.erase(group_start);
  }
  return 0;
}

void btrfs_freeze_block_group(btrfs_block_group_cache& bg) { bg.frozen++; }

void btrfs_unfreeze_block_group(btrfs_fs_info& fs_info, btrfs_block_group_cache& bg) {
  // spin_lock(&block_group->lock): atomic_dec_and_test(&frozen) && BLOCK_GROUP_FLAG_REMOVED.
  sched::point(sched::L("btrfs_unfreeze_block_group(bg {})", bg.start));
  FSRACE_MODEL_CHECK(bg.frozen > 0, "btrfs_unfreeze_block_group: bg {} not frozen", bg.start);
  const bool cleanup = --bg.frozen == 0 && bg.removed;
  if (!cleanup) return;
  // remove_extent_mapping under the mapping tree's lock ("logic error, can't happen" if it is gone), then
  // btrfs_remove_free_space_cache: the entries trimmers put back.
  auto it = fs_info.mapping_tree.find(bg.start);
  FSRACE_BUG_ON(it == fs_info.mapping_tree.end(), "btrfs_unfreeze_block_group: no extent map for removed bg {}", bg.start);
  fs_info.mapping_tree.erase(it);
  bg.free_space.clear();
}

void btrfs_update_block_group(btrfs_trans_handle& trans, uint64_t bytenr, uint64_t num_bytes, bool alloc) {
  // Complete: the group (looked up in the group cache) and its space info's counters, the transaction's
  // dirty_bgs, fs_info->pinned_extents (unpinned at commit: the transaction's), unused_bgs.
  sched::FootprintScope scope(sched::declared()
                                  .touch_kind(sched::ObjectKind::BlockGroup)
                                  .writes_to(fp::space_info())
                                  .writes_to(fp::transaction())
                                  .writes_to(fp::unused_bgs()));
  btrfs_fs_info& fs_info = *trans.fs_info;
  block_group_ptr bg = btrfs_lookup_block_group(fs_info, bytenr);
  FSRACE_ABORT_TRANSACTION_IF(!bg, -ENOENT, "btrfs_update_block_group: no block group for {}", bytenr);
  btrfs_space_info& sinfo = btrfs_find_space_info(fs_info, bg->flags);
  bg->dirty = true;
  trans.transaction->dirty_bgs.insert(bg->start);
  if (alloc) {
    FSRACE_MODEL_CHECK(bg->reserved >= num_bytes, "bg {} reserved {} < {}", bg->start, bg->reserved, num_bytes);
    bg->reserved -= num_bytes;
    sinfo.bytes_reserved -= num_bytes;
    bg->used += num_bytes;
    sinfo.bytes_used += num_bytes;
  } else {
    FSRACE_MODEL_CHECK(bg->used >= num_bytes, "bg {} used {} < {}", bg->start, bg->used, num_bytes);
    bg->used -= num_bytes;
    sinfo.bytes_used -= num_bytes;
    bg->pinned += num_bytes;
    sinfo.bytes_pinned += num_bytes;
    fs_info.pinned_extents[bytenr] = {num_bytes, trans.transid};  // btrfs_pin_extent: unpinned after this commit
    if (bg->used == 0) btrfs_mark_bg_unused(fs_info, *bg);
  }
}

void btrfs_mark_bg_unused(btrfs_fs_info& fs_info, btrfs_block_group_cache& bg) {
  // list_empty(&bg->bg_list) fails for a group on unused_bgs and for a new one on trans->new_bgs
  // (BLOCK_GROUP_FLAG_NEW): neither is added.
  if (bg.on_unused_list || bg.on_new_bgs) return;
  bg.on_unused_list = true;
  fs_info.unused_bgs.push_back(bg.start);
}

int btrfs_reserve_extent(btrfs_fs_info& fs_info, uint64_t type, uint64_t num_bytes, btrfs_key_ins& ins,
                         bool is_data_for_reservations, btrfs_trans_handle* caller_trans) {
  FSRACE_MODEL_CHECK(num_bytes > 0 && num_bytes % fs_info.sectorsize == 0, "bad reserve size {}", num_bytes);
  // Complete: find_free_extent reads the space info's list and every group it scans (lookup, ro, removed,
  // free space) and takes the range from one (free space, reserved, its reservations counter: an atomic,
  // its own object), the space info's counters (bytes_reserved, bytes_may_use); the chunk allocation
  // below runs in an undeclared scope.
  sched::FootprintScope scope(
      sched::declared().touch_kind(sched::ObjectKind::BlockGroup).writes_to(fp::space_info()));
  btrfs_space_info& sinfo = btrfs_find_space_info(fs_info, type);
  for (int attempt = 0; attempt < 2; ++attempt) {
    // The step up to down_read's own point only builds its label: it touches nothing (footprint.hpp).
    sched::point(sched::L("find_free_extent(type {:#x}, {} bytes)", type, num_bytes), sched::declared());
    sinfo.groups_sem.down_read();
    for (uint64_t start : sinfo.block_groups) {
      block_group_ptr bg = btrfs_lookup_block_group(fs_info, start);
      if (!bg || bg->ro || bg->removed) continue;  // read-only groups are skipped
      for (auto& [fs, fl] : bg->free_space) {
        if (fl < num_bytes) continue;
        const uint64_t at = fs;
        btrfs_remove_free_space(*bg, at, num_bytes);
        // btrfs_add_reserved_bytes: under the space info and group locks, same step as the check.
        bg->reserved += num_bytes;
        sinfo.bytes_reserved += num_bytes;
        // ram_bytes == num_bytes (no compression): the reservation becomes this extent (data, and system
        // through chunk_block_rsv: btrfs_use_block_rsv; metadata reservations are not modelled).
        if (sinfo.flags & (BTRFS_BLOCK_GROUP_DATA | BTRFS_BLOCK_GROUP_SYSTEM))
          btrfs_space_info_update_bytes_may_use(fs_info, sinfo, -int64_t(num_bytes), "btrfs_add_reserved_bytes");
        // 9cfa3e34e20e: data reservations are counted until the ordered extent exists.
        if (is_data_for_reservations && fs_info.fixes.has("9cfa3e34e20e")) btrfs_inc_block_group_reservations(*bg);
        sinfo.groups_sem.up_read();
        ins.objectid = at;
        ins.offset = num_bytes;
        return 0;
      }
    }
    sinfo.groups_sem.up_read();
    if (attempt == 0) {
      // Chunk allocation (transaction join/end, chunk map, devices, chunk tree): not declared.
      sched::FootprintScope undeclared(sched::Footprint{});
      // do_chunk_alloc: a new chunk of this type, in the running (or a joined) transaction.
      btrfs_trans_handle joined;
      if (!caller_trans) joined = btrfs_join_transaction(fs_info);
      btrfs_trans_handle& trans = caller_trans ? *caller_trans : joined;
      int ret;
      if ((type & BTRFS_BLOCK_GROUP_SYSTEM) && (trans.allocating_chunk || trans.removing_chunk)) {
        // A chunk tree COW under chunk_mutex (do_chunk_alloc, btrfs_remove_chunk) found no system space
        // although check_system_chunk reserved it: a system group went read-only (scrub) or lost its free
        // space to a discard since. 6.1 fails the update with -ENOSPC, creates a system chunk under the same
        // chunk_mutex and retries; the model (whose btrfs_alloc_tree_block cannot fail) creates it here and
        // inserts its chunk item in phase 2.
        const int64_t sys = btrfs_create_chunk(trans, btrfs_get_alloc_profile(fs_info, BTRFS_BLOCK_GROUP_SYSTEM));
        ret = sys < 0 ? int(sys) : 1;
      } else {
        ret = btrfs_chunk_alloc(trans, btrfs_get_alloc_profile(fs_info, type), chunk_alloc_force::force_for_extent);
      }
      if (!caller_trans) btrfs_end_transaction(joined);
      if (ret < 0) break;
    }
  }
  return -ENOSPC;  // btrfs_chunk_alloc marked the space info full when the devices had no room
}

void btrfs_free_reserved_extent(btrfs_fs_info& fs_info, uint64_t start, uint64_t len) {
  // Complete: the group's counters and free space (looked up in the group cache), the space info's.
  sched::FootprintScope scope(
      sched::declared().touch_kind(sched::ObjectKind::BlockGroup).writes_to(fp::space_info()));
  block_group_ptr bg = btrfs_lookup_block_group(fs_info, start);
  FSRACE_MODEL_CHECK(bg, "btrfs_free_reserved_extent: no block group for {}", start);
  btrfs_space_info& sinfo = btrfs_find_space_info(fs_info, bg->flags);
  // btrfs_free_reserved_bytes: the bytes of a read-only group become read-only bytes.
  if (bg->ro) sinfo.bytes_readonly += len;
  bg->reserved -= len;
  sinfo.bytes_reserved -= len;
  btrfs_add_free_space(*bg, start, len);
}

}  // namespace fsrace::model
