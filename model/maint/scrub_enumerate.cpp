// scrub_enumerate_chunks and scrub_chunk: the device extents of the scrubbed device, found in the
// device tree's commit root, each scrubbed with its block group read-only.
#include <cerrno>
#include <optional>

#include <fmt/format.h>

#include "model/block_group.hpp"
#include "model/ctree.hpp"
#include "model/data/ordered_data.hpp"
#include "model/fs_info.hpp"
#include "model/maint/scrub.hpp"
#include "model/maint/scrub_internal.hpp"
#include "model/transaction.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

// f0e9b7d64019: tasks that reserved an extent in the group, or decided on a nocow write into it, just
// before it went read-only may complete their ordered extents while the copy walks the extent tree's
// commit root, which shows their extent items only after the next commit. Wait for them and commit.
int wait_for_writers_before_copy(scrub_ctx& sctx, btrfs_block_group_cache& cache) {
  btrfs_fs_info& fs_info = sctx.fs_info;
  btrfs_wait_block_group_reservations(fs_info, cache);
  btrfs_wait_nocow_writers(cache);
  uint64_t waited = 0;
  {
    // btrfs_wait_ordered_roots (ordered_data.cpp, no scope; ordered_operations_mutex is a primitive):
    // fs_info->ordered_roots, each root's ordered list, the ordered extents' refs (taken and put:
    // fp::ordered_extents); btrfs_iget of each one's inode (the cache entry's copy: every inode's core,
    // written); btrfs_start_ordered_extent opens its own scope (a buffered one's writeback runs undeclared).
    sched::FootprintScope wait(
        sched::declared().writes_to(fp::ordered_extents()).touch_kind(sched::ObjectKind::Inode));
    waited = btrfs_wait_ordered_roots(fs_info, ~0ull, cache.start, cache.length);
  }
  if (waited == 0) return 0;
  btrfs_trans_handle trans = btrfs_join_transaction(fs_info);
  return btrfs_commit_transaction(trans);
}

}  // namespace

int scrub_chunk(scrub_ctx& sctx, uint64_t chunk_offset, uint64_t length, uint64_t dev_offset,
                btrfs_block_group_cache& cache) {
  btrfs_fs_info& fs_info = sctx.fs_info;
  // lookup_extent_mapping under map_tree->lock, one step.
  sched::point(sched::L("scrub_chunk(chunk {}): lookup_extent_mapping", chunk_offset));
  map_lookup_ptr map = btrfs_get_chunk_map(fs_info, chunk_offset);
  if (!map) {
    // 020d5b7366fc: no mapping for a group the cleaner (or relocation) removed meanwhile is not an
    // error; checked under cache->lock, in the same step.
    if (fs_info.fixes.has("020d5b7366fc") && cache.removed) return 0;
    return -EINVAL;
  }
  if (map->start != chunk_offset || map->length < length) return 0;
  for (size_t i = 0; i < map->stripes.size(); ++i) {
    if (fs_info.dev(map->stripes[i].dev).devid != sctx.devid || map->stripes[i].physical != dev_offset) continue;
    int ret = scrub_stripe(sctx, *map, int(i), chunk_offset, length, cache);
    if (ret) return ret;
  }
  return 0;
}

int scrub_enumerate_chunks(scrub_ctx& sctx, uint64_t start, uint64_t end) {
  btrfs_fs_info& fs_info = sctx.fs_info;
  btrfs_dev_replace& dev_replace = fs_info.dev_replace;
  btrfs_root& root = fs_info.dev_root();
  btrfs_path path(true, true);  // search_commit_root, skip_locking
  btrfs_key key{sctx.devid, BTRFS_DEV_EXTENT_KEY, 0};
  int ret = 0;
  for (;;) {  // one pass per device extent: bounded by the device's dev extents (keys strictly grow)
    // The dev tree's commit root searched and its item read: commit_root_search_claim, up to release().
    std::optional<sched::FootprintScope> search;
    search.emplace(commit_root_search_claim());
    ret = btrfs_search_slot(fs_info, root, key, path);
    if (ret < 0) break;
    if (ret > 0) {
      const tree_block* leaf = btrfs_path_block(fs_info, path, 0);
      FSRACE_MODEL_CHECK(leaf, "dev tree commit root leaf {} not cached", path.nodes[0]);
      if (path.slots[0] >= int(leaf->nritems())) {
        ret = btrfs_next_leaf(fs_info, root, path);
        if (ret < 0) break;
        if (ret > 0) {
          ret = 0;
          break;
        }
      } else {
        ret = 0;
      }
    }
    const btrfs_item& item = btrfs_path_item(fs_info, path);
    const btrfs_key found_key = item.key;
    if (found_key.objectid != sctx.devid || found_key.type != BTRFS_DEV_EXTENT_KEY || found_key.offset >= end ||
        found_key.offset < key.offset)
      break;
    const auto& dev_extent = std::get<btrfs_dev_extent>(item.value);
    const uint64_t length = dev_extent.length;
    const uint64_t chunk_offset = dev_extent.chunk_offset;
    key.offset = found_key.offset + length;
    path.release();
    search.reset();  // back to the caller's scrub_claim (btrfs_scrub_dev)
    if (found_key.offset + length <= start) continue;

    // A reference on the block group keeps it (and its `removed` flag) alive while we scrub it.
    sched::point(sched::L("btrfs_lookup_block_group({})", chunk_offset));
    block_group_ptr cache = btrfs_lookup_block_group(fs_info, chunk_offset);
    if (!cache) continue;  // removed but not committed yet: the dev tree commit root still shows it
    // a692e13d87cb: a group deleted in this transaction whose logical range a new group (allocated at a
    // lower start, with other dev extents) now covers: skip the new one, its extents are not in the commit
    // roots scrub searches. Before it, scrub_enumerate_chunks asserted cache->start == chunk_offset before
    // scrub_chunk (below).
    const bool skip_reallocated = fs_info.fixes.has("a692e13d87cb");
    if (skip_reallocated && cache->start < chunk_offset) continue;

    // 2473d24f2b77: under cache->lock, skip a group already removed, else freeze it until we are done, so
    // that its logical range and device extents are not given to a new chunk while we read them through
    // this chunk's mapping (btrfs_remove_block_group keeps a frozen group's extent map).
    const bool freeze = fs_info.fixes.has("2473d24f2b77");
    if (freeze) {
      sched::point(sched::L("btrfs_freeze_block_group(bg {})", cache->start));
      if (cache->removed) continue;
      // Complete: btrfs_freeze_block_group increments the group's frozen count (under cache->lock).
      sched::FootprintScope freezing(sched::touching(fp::block_group(cache->start)));
      btrfs_freeze_block_group(*cache);
    }

    // btrfs_inc_block_group_ro with scrubs paused, so that a commit it may wait for is not blocked on us.
    // No chunk preallocation for scrub (do_chunk_alloc only for device replace, which must get ro).
    scrub_pause_on(fs_info);
    {
      // btrfs_inc_block_group_ro (block_group.cpp, no scope): join/end transaction (own scopes),
      // ro_block_group_mutex (a primitive), dirty_bg_run and btrfs_wait_for_commit (Transaction), a forced
      // chunk allocation (chunk map, devices, block groups, space info, the chunk tree: as
      // btrfs_reserve_data_bytes' flush), the group's ro and space_info's bytes_readonly, check_system_chunk;
      // wait_for_writers_before_copy: btrfs_wait_block_group_reservations and btrfs_wait_nocow_writers
      // (the group's flags, the space info; groups_sem and the counters' wait_vars are primitives), the
      // ordered extent wait (nested scope), join and commit (their own scopes). No inode, nothing of the
      // oracle (fp::all_but_inodes), as relocation claims it (reloc_fp::wide).
      sched::FootprintScope ro(fp::all_but_inodes());
      ret = btrfs_inc_block_group_ro(fs_info, *cache, sctx.is_dev_replace);
      if (ret == 0 && sctx.is_dev_replace && fs_info.fixes.has("f0e9b7d64019")) {
        ret = wait_for_writers_before_copy(sctx, *cache);
        if (ret) {
          scrub_pause_off(fs_info);
          if (freeze) btrfs_unfreeze_block_group(fs_info, *cache);
          break;  // as in 4.7: the group stays read-only (a later fix dropped this wait)
        }
      }
    }
    bool ro_set = false;
    if (ret == 0) {
      ro_set = true;
    } else if (ret == -ENOSPC && !sctx.is_dev_replace) {
      // "metadata are always cowed, and our scrub paused commit_transactions": go on without read-only.
      ro_set = false;
    } else {
      sched::FootprintScope failed(sched::Footprint{});  // the log, unfreeze: not audited (an error path)
      fs_info.log(fmt::format("BTRFS warning: failed setting block group ro: {}", ret));
      if (freeze) btrfs_unfreeze_block_group(fs_info, *cache);
      scrub_pause_off(fs_info);
      break;
    }
    scrub_pause_off(fs_info);
    ret = 0;

    if (sctx.is_dev_replace) {
      dev_replace.rwsem.down_write();
      dev_replace.cursor_right = found_key.offset + length;
      dev_replace.cursor_left = found_key.offset;
      dev_replace.item_needs_writeback = true;
      dev_replace.rwsem.up_write();
    }
    if (!skip_reallocated) FSRACE_ASSERT(cache->start == chunk_offset, "scrub_enumerate_chunks: bg {} for the dev extent of chunk {}", cache->start, chunk_offset);
    ret = scrub_chunk(sctx, chunk_offset, length, found_key.offset, *cache);

    // The kernel flushes and waits for its bios here, then waits for its workers with scrubs paused.
    scrub_blocked_if_needed(fs_info);
    // 1a1a8b732c7e: the cursor passes the copied extent before the group is writable again, so that new
    // writes into it are duplicated to the target; before it the group became writable first.
    const bool cursor_first = fs_info.fixes.has("1a1a8b732c7e");
    if (ro_set && !cursor_first) {
      // Complete: btrfs_dec_block_group_ro (block_group.cpp, no scope): the group's ro and counters (read),
      // the space info (looked up) and its bytes_readonly.
      sched::FootprintScope dec(sched::declared().writes_to(fp::block_group(cache->start)).writes_to(fp::space_info()));
      btrfs_dec_block_group_ro(fs_info, *cache);
    }
    if (sctx.is_dev_replace) {
      dev_replace.rwsem.down_write();
      dev_replace.cursor_left = dev_replace.cursor_right;
      dev_replace.item_needs_writeback = true;
      dev_replace.rwsem.up_write();
    }
    if (ro_set && cursor_first) {
      sched::FootprintScope dec(sched::declared().writes_to(fp::block_group(cache->start)).writes_to(fp::space_info()));  // as above
      btrfs_dec_block_group_ro(fs_info, *cache);
    }
    // 758f2dfcf8a2: the cleaner may have skipped this group because we had set it read-only; put it back
    // on unused_bgs if it is still unused (checked under cache->lock, same step as the dec).
    if (fs_info.fixes.has("758f2dfcf8a2") && !cache->removed && !cache->ro && cache->reserved == 0 && cache->used == 0) {
      // Complete: btrfs_mark_bg_unused: the group's list flags and fs_info->unused_bgs.
      sched::FootprintScope unused(sched::declared().writes_to(fp::block_group(cache->start)).writes_to(fp::unused_bgs()));
      btrfs_mark_bg_unused(fs_info, *cache);
    }
    // skip_unfreeze: the last unfreeze of a group removed meanwhile removes its extent map.
    if (freeze) {
      // Complete: btrfs_unfreeze_block_group: the group's frozen count, removed flag and free space, and
      // for the last unfreeze of a removed group its extent map (the chunk map).
      sched::FootprintScope unfreeze(sched::declared().writes_to(fp::block_group(cache->start)).writes_to(fp::chunk_map()));
      btrfs_unfreeze_block_group(fs_info, *cache);
    }
    if (ret) break;
    if (sctx.is_dev_replace && dev_replace.num_write_errors > 0) {
      ret = -EIO;
      break;
    }
  }
  return ret;
}

}  // namespace fsrace::model
