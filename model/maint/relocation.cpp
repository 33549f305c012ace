// btrfs_relocate_block_group and its passes (relocation.c of v4.7: relocate_block_group,
// prepare_to_relocate, find_next_extent), with the waits before the passes as the 2016 fixes changed
// them.
#include "model/maint/relocation.hpp"

#include <algorithm>
#include <cerrno>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "model/block_group.hpp"
#include "model/ctree.hpp"
#include "model/data/delalloc.hpp"
#include "model/data/ordered_data.hpp"
#include "model/fs_info.hpp"
#include "model/maint/balance.hpp"
#include "model/maint/relocation_internal.hpp"
#include "model/transaction.hpp"
#include "model/volumes.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

using sched::FootprintScope;

constexpr int kMaxPasses = 32;                   // a group empties in a handful of passes
constexpr uint64_t kMaxExtentsPerPass = 1u << 20;

// prepare_to_relocate: a new pass; the commit runs the queued delayed refs and switches the commit
// roots, so the scan below sees every extent item that exists by now.
int prepare_to_relocate(btrfs_fs_info& fs_info, reloc_control& rc) {
  rc.cluster = {};
  rc.search_start = rc.block_group;
  rc.extents_found = 0;
  rc.processed_blocks.clear();
  rc.found_sample.clear();
  rc.create_reloc_tree = true;
  // The handle (its reference to the running transaction: Transaction). start_transaction and
  // btrfs_commit_transaction open their own scopes from their first code on (the commit's are undeclared
  // with -o flushoncommit, and around new block groups' and pending snapshots' items).
  FootprintScope scope(reloc_fp::start_transaction());
  auto trans = btrfs_join_transaction(fs_info);
  return btrfs_commit_transaction(trans);
}

// btrfs_end_transaction of a handle (transaction.cpp, no scope): with no new block groups to insert and
// no chunk space reserved, it only drops num_writers under trans_lock (Transaction) and wakes writers_wait
// (a primitive); otherwise it inserts chunk, device extent and block group items (wide).
void end_transaction(btrfs_trans_handle& trans) {
  FootprintScope scope(trans.new_bgs.empty() && !trans.chunk_bytes_reserved ? reloc_fp::start_transaction()
                                                                              : reloc_fp::wide());
  btrfs_end_transaction(trans);
}

// find_next_extent: the next extent item of the group in the extent tree's commit root, from
// rc.search_start on, skipping tree blocks already relocated in this pass. The caller holds a
// transaction handle, so the commit root cannot be switched and freed under the search.
// 0 found, 1 none left, <0 error.
int find_next_extent(btrfs_fs_info& fs_info, reloc_control& rc, btrfs_key& key_out, btrfs_extent_item& ei_out) {
  // Reads the extent tree's commit root (btrfs_search_slot, btrfs_next_leaf, btrfs_path_block: ctree.cpp,
  // no scope) and this relocation's cursor and processed blocks (Relocation).
  sched::Footprint claim = sched::touching(fp::relocation());
  FootprintScope scope(reloc_fp::read_tree(claim, BTRFS_EXTENT_TREE_OBJECTID));
  const uint64_t last = rc.block_group + rc.length;
  for (uint64_t restarts = 0; restarts < kMaxExtentsPerPass; ++restarts) {
    if (rc.search_start >= last) return 1;
    btrfs_path path(true, true);
    int ret = btrfs_search_slot(fs_info, fs_info.extent_root(), {rc.search_start, BTRFS_EXTENT_ITEM_KEY, 0}, path);
    if (ret < 0) return ret;
    for (uint64_t steps = 0;; ++steps) {
      FSRACE_MODEL_CHECK(steps < kMaxExtentsPerPass, "find_next_extent: runaway scan of bg {}", rc.block_group);
      const tree_block* leaf = btrfs_path_block(fs_info, path, 0);
      if (!leaf || path.slots[0] >= int(leaf->nritems())) {
        ret = btrfs_next_leaf(fs_info, fs_info.extent_root(), path);
        if (ret != 0) return ret;
        continue;
      }
      const btrfs_item& item = leaf->items[path.slots[0]];
      const btrfs_key key = item.key;
      if (key.objectid >= last) return 1;
      const bool extent = key.type == BTRFS_EXTENT_ITEM_KEY, metadata = key.type == BTRFS_METADATA_ITEM_KEY;
      const uint64_t len = extent ? key.offset : fs_info.nodesize;
      if ((!extent && !metadata) || key.objectid + len <= rc.search_start) {
        path.slots[0]++;
        continue;
      }
      if (rc.processed_blocks.count(key.objectid)) {
        rc.search_start = key.objectid + len;
        break;  // search again from there
      }
      rc.search_start = key.objectid + len;
      key_out = key;
      ei_out = std::get<btrfs_extent_item>(item.value);
      return 0;
    }
  }
  FSRACE_MODEL_CHECK(false, "find_next_extent: too many restarts in bg {}", rc.block_group);
  return -EUCLEAN;
}

int tree_block_level(btrfs_fs_info& fs_info, const btrfs_key& key) {
  if (key.type == BTRFS_METADATA_ITEM_KEY) return int(key.offset);
  int err = 0;
  tree_block_ptr b = read_tree_block(fs_info, key.objectid, 0, -1, &err);
  FSRACE_BUG_ON(!b, "relocation: tree block {} unreadable ({})", key.objectid, err);
  return b->header.level;
}

// relocate_block_group: one pass over the group.
int relocate_block_group(btrfs_fs_info& fs_info, reloc_control& rc) {
  // Own code: rc (Relocation); btrfs_should_cancel_balance reads the cancel requests (Balance,
  // Relocation); skipped-extent statistics only ever incremented (read after the execution: commute).
  // Every callee below runs in a scope of its own.
  FootprintScope scope(sched::declared().writes_to(fp::relocation()).reads_from(fp::balance()));
  int err = prepare_to_relocate(fs_info, rc);
  if (err) return err;
  for (uint64_t n = 0;; ++n) {
    FSRACE_MODEL_CHECK(n < kMaxExtentsPerPass, "relocate_block_group: runaway pass over bg {}", rc.block_group);
    btrfs_trans_handle trans;
    {
      FootprintScope start(reloc_fp::start_transaction());
      trans = btrfs_start_transaction(fs_info);
    }
    btrfs_key key;
    btrfs_extent_item ei;
    int ret = find_next_extent(fs_info, rc, key, ei);
    if (ret != 0) {
      end_transaction(trans);
      if (ret < 0) err = ret;
      break;
    }
    const bool tree = ei.flags & BTRFS_EXTENT_FLAG_TREE_BLOCK, data = ei.flags & BTRFS_EXTENT_FLAG_DATA;
    FSRACE_MODEL_CHECK(tree != data, "relocation: extent {} has flags {:#x} (check_extent_flags)", key.objectid, ei.flags);
    bool counted = true;
    std::optional<locked_file_range> busy;
    if (tree) {
      // read_tree_block of a block of any tree, then COW searches in every tree reaching it (wide: no
      // inode or oracle state is touched by tree COW).
      FootprintScope cow(reloc_fp::wide());
      relocate_tree_block(trans, rc, key.objectid, tree_block_level(fs_info, key), ei);
    } else if (rc.stage == UPDATE_DATA_PTRS) {
      locked_file_range range;
      switch (replace_file_extents(trans, rc, key.objectid, ei, &range)) {  // opens its own scopes
        case replace_result::replaced:
          break;
        case replace_result::unreferenced:
          // Not moved, and no file extent item points at it any more: nothing to repoint, it stays.
          counted = false;
          if (rc.skipped_extents.insert(key.objectid).second) fs_info.reloc_stats.data_extents_skipped++;
          break;
        case replace_result::range_locked:
          // Like relocate_tree_blocks' -EAGAIN: not counted, searched again from this extent.
          counted = false;
          rc.search_start = key.objectid;
          busy = range;
          break;
      }
    }
    if (counted) {
      rc.extents_found++;
      if (rc.found_sample.size() < 8) rc.found_sample.push_back(key.objectid);
    }
    end_transaction(trans);
    // The kernel skips a file extent whose range is locked and finds the extent again in a later pass;
    // the model waits for the writer (without a handle) so that the retry makes progress under any
    // schedule, PCT's strict priorities included.
    if (busy) wait_file_range_unlocked(fs_info, *busy);  // opens its own scope
    if (rc.stage == MOVE_DATA_EXTENTS && data) {
      rc.found_file_extent = true;
      ret = relocate_data_extent(fs_info, rc, key.objectid, key.offset);
      if (ret < 0) {
        err = ret;
        break;
      }
    }
    if (btrfs_should_cancel_balance(fs_info)) {  // balance cancel: give up after this extent
      err = -ECANCELED;
      break;
    }
  }
  if (!err) err = relocate_file_extent_cluster(fs_info, rc);
  rc.create_reloc_tree = false;
  // "get rid of pinned extents": what this pass freed is unpinned by the commit. The handle
  // (Transaction) and reloc_add_data_inode_refs (rc.data_extents: Relocation and the data reloc inode;
  // btrfs_add_delayed_data_ref opens its own scope); the commit as in prepare_to_relocate.
  FootprintScope commit(sched::Footprint(reloc_fp::start_transaction())
                            .writes_to(fp::relocation())
                            .writes_to(fp::data_reloc_inode()));
  auto trans = btrfs_join_transaction(fs_info);
  reloc_add_data_inode_refs(trans, rc);
  const int ret = btrfs_commit_transaction(trans);
  return err ? err : ret;
}

}  // namespace

int btrfs_relocate_block_group(btrfs_fs_info& fs_info, uint64_t group_start) {
  block_group_ptr bg;
  {
    // btrfs_lookup_block_group reads the cache tree of groups (any group's start and length).
    FootprintScope lookup(sched::declared().touch_kind(sched::ObjectKind::BlockGroup, false));
    bg = btrfs_lookup_block_group(fs_info, group_start);
  }
  if (!bg || bg->start != group_start) return -ENOENT;
  // Own code: reloc_ctl (Relocation), the messages (log), the group's counters in the WARNs (read);
  // statistics counters are only ever incremented (read after the execution: commute). Callees open
  // their own scopes below.
  FootprintScope scope(sched::declared()
                           .writes_to(fp::relocation())
                           .writes_to(reloc_fp::kernel_log())
                           .reads_from(fp::block_group(bg->start)));
  FSRACE_MODEL_CHECK(!fs_info.reloc_ctl, "relocation of bg {} while bg {} is being relocated", group_start,
                fs_info.reloc_ctl ? fs_info.reloc_ctl->block_group : 0);
  {
    // btrfs_inc_block_group_ro (block_group.cpp, no scope): join/end transaction and wait_for_commit
    // (Transaction), dirty_bg_run, a forced chunk allocation when the profile changes or on -ENOSPC
    // (chunk map, devices, trees, block groups, space info), the group's ro and space_info's
    // bytes_readonly, check_system_chunk: wide (nothing of inodes or the oracle).
    FootprintScope ro(reloc_fp::wide());
    if (int ret = btrfs_inc_block_group_ro(fs_info, *bg, true)) return ret;  // with chunk preallocation
  }

  reloc_control& rc = fs_info.reloc_ctl.emplace();
  rc.block_group = bg->start;
  rc.length = bg->length;
  rc.data_inode = BTRFS_FIRST_FREE_OBJECTID + 1;  // create_reloc_inode (data reloc tree, in memory)
  fs_info.log(fmt::format("BTRFS info: relocating block group {} flags {}", bg->start, block_group_type_name(bg->flags)));

  // Writers that got space in the group before it went read-only must be done before the scan.
  if (fs_info.fixes.has("9cfa3e34e20e")) {
    // btrfs_wait_block_group_reservations (block_group.cpp, no scope): the group's flags and reservations
    // counter (read; the counter's wait_var is a primitive), the space_info list and its groups_sem (a
    // primitive).
    FootprintScope wait(sched::declared().reads_from(fp::block_group(bg->start)).reads_from(fp::space_info()));
    btrfs_wait_block_group_reservations(fs_info, *bg);
  } else {
    FootprintScope flush(reloc_fp::everything());  // writeback of every inode's delalloc
    btrfs_start_delalloc_roots(fs_info, ~0ull);
  }
  if (fs_info.fixes.has("f78c436c3931")) {
    // btrfs_wait_nocow_writers (block_group.cpp, no scope): the group's nocow_writers (read; its wait_var
    // is a primitive).
    FootprintScope wait(sched::touching(fp::block_group(bg->start), false));
    btrfs_wait_nocow_writers(*bg);
  }
  {
    // btrfs_wait_ordered_roots (ordered_data.cpp, no scope; ordered_operations_mutex is a primitive):
    // fs_info->ordered_roots, each root's ordered list, the ordered extents' refs (taken and put:
    // btrfs_put_ordered_extent, no scope; fp::ordered_extents); btrfs_iget of each one's inode (the
    // cache entry's copy: every inode's core, written); btrfs_start_ordered_extent opens its own scope
    // (the inode, the ordered extent and its wait queue; a buffered one's writeback runs undeclared);
    // reloc_stats (Relocation).
    FootprintScope wait(sched::declared()
                            .writes_to(fp::ordered_extents())
                            .touch_kind(sched::ObjectKind::Inode)
                            .writes_to(fp::relocation()));
    fs_info.reloc_stats.ordered_extents_waited += fs_info.fixes.has("578def7c50f2")
                                                      ? btrfs_wait_ordered_roots(fs_info, ~0ull, bg->start, bg->length)
                                                      : btrfs_wait_ordered_roots(fs_info, ~0ull, 0, ~0ull);
  }

  int err = 0;
  for (int pass = 0;; ++pass) {
    FSRACE_MODEL_CHECK(pass < kMaxPasses, "btrfs_relocate_block_group: bg {} still has extents after {} passes (stage {}, "
                  "last pass found {}: {})", bg->start, pass, rc.stage, rc.extents_found, fmt::join(rc.found_sample, " "));
    fs_info.cleaner_mutex.lock();
    const int ret = relocate_block_group(fs_info, rc);
    fs_info.cleaner_mutex.unlock();
    fs_info.reloc_stats.passes++;
    if (ret < 0) {
      err = ret;
      break;
    }
    if (rc.extents_found == 0) break;
    fs_info.log(fmt::format("BTRFS info: found {} extents", rc.extents_found));
    if (rc.stage == MOVE_DATA_EXTENTS && rc.found_file_extent) {
      if (int w = reloc_inode_wait_ordered_range(fs_info, rc)) {
        err = w;
        break;
      }
      rc.stage = UPDATE_DATA_PTRS;
    }
  }
  if (!err) {
    FSRACE_WARN_ON(bg->pinned > 0, "WARNING at relocation.c btrfs_relocate_block_group: bg {} pinned {} > 0",
                   bg->start, bg->pinned);
    FSRACE_WARN_ON(bg->reserved > 0, "WARNING at relocation.c btrfs_relocate_block_group: bg {} reserved {} > 0",
                   bg->start, bg->reserved);
    FSRACE_WARN_ON(bg->used > 0, "WARNING at relocation.c btrfs_relocate_block_group: bg {} used {} > 0 after relocation",
                   bg->start, bg->used);
  }
  {
    // iput of the data reloc inode (its Inode, rc.data_extents): delayed refs dropped under a joined
    // transaction, reserved extents given back (block groups, space info): wide, plus the reloc inode.
    sched::Footprint claim = reloc_fp::wide();
    FootprintScope release(claim.writes_to(fp::data_reloc_inode()));
    reloc_release_data_inode(fs_info, rc);  // iput(rc->data_inode)
  }
  if (err) {
    // btrfs_dec_block_group_ro (block_group.cpp, no scope): the group's ro and counters, space_info's
    // bytes_readonly.
    FootprintScope ro(sched::declared().writes_to(fp::block_group(bg->start)).writes_to(fp::space_info()));
    btrfs_dec_block_group_ro(fs_info, *bg);
  } else
    fs_info.reloc_stats.block_groups_relocated++;
  fs_info.reloc_ctl.reset();
  return err;
}

}  // namespace fsrace::model
