#include "model/transaction.hpp"

#include <cerrno>
#include <optional>

#include <fmt/format.h>

#include "model/bio.hpp"
#include "model/chunk_item.hpp"
#include "model/chunk_reserve.hpp"
#include "model/dev_update_list.hpp"
#include "model/data/delalloc.hpp"
#include "model/data/ordered_data.hpp"
#include "model/discard.hpp"
#include "model/extent_io/extent_io.hpp"
#include "model/footprints.hpp"
#include "model/fs_info.hpp"
#include "model/tree_footprints.hpp"
#include "model/maint/balance_state.hpp"
#include "model/maint/snapshot.hpp"
#include "scheduler/footprint.hpp"
#include "scheduler/scheduler.hpp"
#include "model/transaction_abort.hpp"

namespace fsrace::model {
namespace {

uint64_t next_transid(btrfs_fs_info& fs_info) {
  return std::max(fs_info.generation, fs_info.last_trans_committed) + 1;
}

// btrfs_blocked_trans_types: the handle types a transaction in this state turns away.
unsigned blocked_trans_types(trans_state state) {
  switch (state) {
    case trans_state::running: return 0;
    case trans_state::commit_start: return __TRANS_START | __TRANS_ATTACH;
    default: return __TRANS_START | __TRANS_ATTACH | __TRANS_JOIN | __TRANS_JOIN_NOSTART;
  }
}

// start_transaction for `type`: wait_current_trans (TRANS_START, and any type join_transaction turns
// away with -EBUSY) until the commit is unblocked, then join_transaction: attach to the running
// transaction or (not for TRANS_ATTACH) start a new one. The kernel's two trans_lock sections
// (wait_current_trans, join_transaction) are one here: a state change between them only sends the
// kernel back to wait_current_trans. -ENOENT: TRANS_ATTACH or TRANS_JOIN_NOSTART and no transaction runs.
int start_transaction(btrfs_fs_info& fs_info, unsigned type, const char* what, btrfs_trans_handle* out) {
  // Complete: running_transaction, trans_list, the transaction's state and writer counters,
  // fs_info->generation, last_trans_committed, last_transid_started (all the Transaction object); the
  // lock and the wait queue are their own objects; *out is the caller's handle.
  sched::FootprintScope scope(sched::declared().writes_to(fp::transaction()));
  // The step up to spin_lock's own point only builds its label: it touches nothing (footprint.hpp).
  sched::point(sched::L(what), sched::declared());
  for (;;) {  // bounded by the scheduler's step limit
    fs_info.trans_lock.lock();
    transaction_ptr cur = fs_info.running_transaction;
    if (cur && (blocked_trans_types(cur->state) & type)) {
      // The model unblocks and clears running_transaction in one step (state >= UNBLOCKED below).
      fs_info.trans_lock.unlock();
      fs_info.transaction_wait.wait_event([&] { return cur->state >= trans_state::unblocked; });
      // attach and join_nostart never catch the next transaction (6.1 start_transaction: -EBUSY -> -ENOENT)
      if (type == TRANS_ATTACH || type == TRANS_JOIN_NOSTART) return -ENOENT;
      continue;
    }
    if (!cur) {
      if (type == TRANS_ATTACH || type == TRANS_JOIN_NOSTART) {
        fs_info.trans_lock.unlock();
        return -ENOENT;
      }
      cur = std::make_shared<btrfs_transaction>();
      cur->transid = std::max(next_transid(fs_info), fs_info.last_transid_started + 1);
      fs_info.last_transid_started = cur->transid;
      fs_info.running_transaction = cur;
      fs_info.trans_list.push_back(cur);
    }
    cur->num_writers++;
    if (type & TRANS_EXTWRITERS) cur->num_extwriters++;  // extwriter_counter_inc
    fs_info.trans_lock.unlock();
    // The kernel re-checks for COMMIT_START here (a TRANS_START handle then commits and retries): the
    // join and the check are one step in the model, and join turned TRANS_START away from that state.
    *out = btrfs_trans_handle{};
    out->fs_info = &fs_info;
    out->transaction = cur;
    out->transid = cur->transid;
    out->type = type;
    return 0;
  }
}

bool trans_list_holds_up_to(btrfs_fs_info& fs_info, uint64_t transid) {
  return !fs_info.trans_list.empty() && fs_info.trans_list.front()->transid <= transid;
}

// wait_for_commit(commit, min_state). 5fd76bf31ccf: for TRANS_STATE_COMPLETED, also every earlier
// transaction completed ("a transaction isn't really completed until all of the previous transactions
// are completed, but with fsync we can end up with SUPER_COMMITTED transactions before a COMPLETED
// transaction"); before it, only the state of this one.
void wait_for_commit(btrfs_fs_info& fs_info, const transaction_ptr& commit,
                     trans_state min_state = trans_state::completed) {
  const bool wait_earlier = min_state == trans_state::completed && fs_info.fixes.has("5fd76bf31ccf");
  if (min_state == trans_state::super_committed) commit->super_committed_waiters++;
  fs_info.commit_wait.wait_event([&] {
    return commit->state >= min_state && (!wait_earlier || !trans_list_holds_up_to(fs_info, commit->transid));
  });
  if (min_state == trans_state::super_committed) commit->super_committed_waiters--;
}

// add_pending_snapshot: the handle's pending snapshot joins the transaction's list (state >= COMMIT_START).
void add_pending_snapshot(btrfs_trans_handle& trans) {
  if (!trans.pending_snapshot) return;
  FSRACE_MODEL_CHECK(trans.transaction->state >= trans_state::commit_start, "add_pending_snapshot before COMMIT_START");
  // list_add: at the head, so the commit creates the last one queued first.
  auto& list = trans.transaction->pending_snapshots;
  list.insert(list.begin(), trans.pending_snapshot);
  trans.pending_snapshot = nullptr;
}

// create_pending_snapshots: every snapshot queued on the transaction, in the commit's critical
// section (no other writer holds a handle).
void create_pending_snapshots(btrfs_trans_handle& trans) {
  auto pending = std::move(trans.transaction->pending_snapshots);
  trans.transaction->pending_snapshots.clear();
  for (btrfs_pending_snapshot* p : pending) create_pending_snapshot(trans, *p);
}

// insert_dev_extent: the dev extent item of one stripe, keyed by the device's devid as the device has it now.
int insert_dev_extent(btrfs_trans_handle& trans, const btrfs_device& device, uint64_t chunk_offset, uint64_t start,
                      uint64_t num_bytes) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  FSRACE_WARN_ON(device.is_tgtdev_for_dev_replace, "insert_dev_extent: chunk {} stripe at {} on the replace target "
                 "(BTRFS_DEV_STATE_REPLACE_TGT, devid {})", chunk_offset, start, device.devid);
  btrfs_dev_extent de;
  de.chunk_offset = chunk_offset;
  de.length = num_bytes;
  return btrfs_insert_item(trans, fs_info.dev_root(), {device.devid, BTRFS_DEV_EXTENT_KEY, start}, de);
}

// insert_dev_extents: each stripe's device object as map->stripes[i].dev has it now. 50460e37186a: under
// device_list_mutex, which replace finishing holds while it switches the stripes from the source device to
// the target (devid BTRFS_DEV_REPLACE_DEVID) and then swaps the devids; without it a stripe read in
// between is the target, and its dev extent item gets devid 0.
int insert_dev_extents(btrfs_trans_handle& trans, const map_lookup& map) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  const bool list_locked = fs_info.fixes.has("50460e37186a");
  if (list_locked) fs_info.device_list_mutex.lock();
  int ret = 0;
  for (const auto& s : map.stripes) {
    ret = insert_dev_extent(trans, fs_info.dev(s.dev), map.start, s.physical, map_stripe_size(map));
    if (ret) break;
  }
  if (list_locked) fs_info.device_list_mutex.unlock();
  return ret;
}

// One entry of btrfs_create_pending_block_groups, in 6.1's order: the block group item, the chunk item when
// phase 1 did not insert it (btrfs_chunk_alloc_add_chunk_item: device items, chunk item, sys_chunk_array;
// under chunk_mutex since 79bd37120b14), the dev extents. A failed insert aborts the transaction.
void insert_pending_chunk(btrfs_trans_handle& trans, const block_group_ptr& bg) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  const uint64_t chunk_offset = bg->start;
  if (bg->removed) return;  // removed before its items were inserted
  map_lookup_ptr map = btrfs_get_chunk_map(fs_info, chunk_offset);
  FSRACE_MODEL_CHECK(map && map->start == chunk_offset, "pending block group {} has no chunk mapping", chunk_offset);
  int ret = btrfs_insert_item(trans, fs_info.extent_root(), {chunk_offset, BTRFS_BLOCK_GROUP_ITEM_KEY, map->length},
                              btrfs_block_group_item{bg->used, BTRFS_FIRST_CHUNK_TREE_OBJECTID, map->type});
  if (ret) btrfs_abort_transaction_at(trans, ret, "btrfs_create_pending_block_groups");  // insert_block_group_item
  if (!bg->chunk_item_inserted) {
    const bool locked = fs_info.fixes.has("79bd37120b14");
    if (locked) fs_info.chunk_mutex.lock();
    ret = btrfs_chunk_alloc_add_chunk_item(trans, chunk_offset);
    if (locked) fs_info.chunk_mutex.unlock();
    if (ret) btrfs_abort_transaction_at(trans, ret, "btrfs_create_pending_block_groups");
  }
  ret = insert_dev_extents(trans, *map);
  if (ret) btrfs_abort_transaction_at(trans, ret, "btrfs_create_pending_block_groups");
}

// write_dirty_block_groups: block group items carry the used bytes as of the commit.
void write_dirty_block_groups(btrfs_trans_handle& trans) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  auto dirty = std::move(trans.transaction->dirty_bgs);
  trans.transaction->dirty_bgs.clear();
  for (uint64_t start : dirty) {
    block_group_ptr bg = btrfs_lookup_block_group(fs_info, start);
    if (!bg || bg->start != start) continue;
    bg->dirty = false;
    btrfs_update_item(trans, fs_info.extent_root(), {start, BTRFS_BLOCK_GROUP_ITEM_KEY, bg->length},
                      btrfs_block_group_item{bg->used, BTRFS_FIRST_CHUNK_TREE_OBJECTID, bg->flags});
  }
}

// update_cowonly_root / commit_fs_roots: the root tree records where every changed root now lives.
void update_root_items(btrfs_trans_handle& trans) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  for (auto& [id, root] : fs_info.roots) {
    if (id == BTRFS_ROOT_TREE_OBJECTID || !root->dirty) continue;
    root->root_item.bytenr = root->node;
    root->root_item.level = root->level;
    root->root_item.generation = trans.transid;
    root->dirty = false;
    int ret = btrfs_update_item(trans, fs_info.tree_root(), {id, BTRFS_ROOT_ITEM_KEY, 0}, root->root_item);
    if (ret == -ENOENT) ret = btrfs_insert_item(trans, fs_info.tree_root(), {id, BTRFS_ROOT_ITEM_KEY, 0}, root->root_item);
    FSRACE_ABORT_TRANSACTION_IF(ret != 0, ret, "root item {} update: {}", id, ret);
  }
}

bool commit_work_left(btrfs_trans_handle& trans) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  if (!trans.transaction->delayed_refs.heads.empty() || !trans.transaction->dirty_bgs.empty() ||
      !trans.new_bgs.empty())
    return true;
  for (auto& [id, root] : fs_info.roots)
    if (id != BTRFS_ROOT_TREE_OBJECTID && root->dirty) return true;
  return false;
}

// btrfs_write_and_wait_transaction: every dirty tree block of this transaction reaches all its mirrors.
// The kernel keeps one dirty_pages tree per transaction; here the list is shared, so blocks the next
// transaction allocated (generation > transid; new handles may run once the commit is unblocked) stay
// dirty for its own commit.
void write_dirty_tree_blocks(btrfs_fs_info& fs_info, uint64_t transid) {
  auto dirty = std::move(fs_info.dirty_tree_blocks);
  fs_info.dirty_tree_blocks.clear();
  std::vector<extent_buffer_ptr> in_flight;
  for (auto& [bytenr, level] : dirty) {
    tree_block_ptr* p = fs_info.buffer_radix.find_mut(bytenr);
    if (!p || !*p || (*p)->header.bytenr != bytenr) continue;
    if ((*p)->header.generation > transid) {
      fs_info.dirty_tree_blocks.emplace(bytenr, level);
      continue;
    }
    if (p->use_count() > 1) *p = std::make_shared<tree_block>(**p);  // never touch a shared block
    auto& b = *p;
    const_cast<tree_block&>(*b).header.csum = b->content_csum();
    // A block with an extent buffer in memory goes through its writeback (WRITEBACK bit, pages under
    // writeback, completion in the bio's fiber); the others are written in this step.
    if (extent_buffer_ptr eb = btree_write_extent_buffer(fs_info, bytenr, b)) {
      in_flight.push_back(std::move(eb));
      continue;
    }
    std::vector<btrfs_bio_stripe> stripes;
    if (btrfs_map_block(fs_info, map_op::write, bytenr, fs_info.nodesize, 0, stripes) != 0) continue;
    for (const auto& s : stripes) btrfs_dev_write_tree_block(fs_info, s, b);
  }
  // btrfs_wait_marked_extents: the superblock is written only after every block reached the disks.
  for (const auto& eb : in_flight) wait_on_extent_buffer_writeback(fs_info, *eb);
}

// btrfs_finish_extent_commit / unpin_extent_range: what this transaction freed becomes allocatable
// again. Only this transaction's: the kernel unpins trans->transaction->pinned_extents, so an fsync's
// commit that finished before the previous transaction (SUPER_COMMITTED) leaves that one's pinned.
void unpin_extents(btrfs_fs_info& fs_info, uint64_t transid) {
  std::vector<std::pair<uint64_t, uint64_t>> pinned;
  for (auto it = fs_info.pinned_extents.begin(); it != fs_info.pinned_extents.end();) {
    if (it->second.transid != transid) {
      ++it;
      continue;
    }
    pinned.emplace_back(it->first, it->second.len);
    it = fs_info.pinned_extents.erase(it);
  }
  for (auto& [start, len] : pinned) {
    block_group_ptr bg = btrfs_lookup_block_group(fs_info, start);
    // The cleaner drops a removed group's pinned extents first (clean_pinned_extents); relocation
    // removes its group only after the commit that unpinned them (5fd76bf31ccf).
    FSRACE_BUG_ON(!bg, "kernel BUG at extent-tree.c unpin_extent_range: no block group for pinned extent {} "
                  "(transid {})", start, transid);
    // -o discard: each range is discarded before it is unpinned (unused_bg_unpin_mutex, not modelled).
    if (btrfs_test_opt_discard_sync(fs_info)) {
      uint64_t discarded = 0;
      btrfs_discard_extent(fs_info, start, len, &discarded);  // an error is ignored, as the kernel does
    }
    btrfs_space_info& sinfo = btrfs_find_space_info(fs_info, bg->flags);
    bg->pinned -= len;
    sinfo.bytes_pinned -= len;
    if (bg->ro) sinfo.bytes_readonly += len;  // unpin_extent_range: a read-only group's freed bytes
    btrfs_add_free_space(*bg, start, len);
  }
}

// The end of btrfs_finish_extent_commit: each group the cleaner removed with -o discard is discarded whole
// (its frozen mapping is still there), taken off deleted_bgs under unused_bgs_lock and unfrozen; the last
// unfreeze removes its extent map. "discard failed while removing blockgroup" is only logged.
void discard_deleted_bgs(btrfs_fs_info& fs_info, btrfs_transaction& cur) {
  std::vector<block_group_ptr> deleted;
  deleted.swap(cur.deleted_bgs);
  for (const auto& bg : deleted) {
    uint64_t trimmed = 0;
    const int ret = btrfs_discard_extent(fs_info, bg->start, bg->length, &trimmed);
    FSRACE_ASSERT(bg->ro, "btrfs_finish_extent_commit: deleted bg {} is not read-only", bg->start);
    fs_info.unused_bgs_lock.lock();
    bg->on_deleted_bgs = false;  // list_del_init(&block_group->bg_list)
    fs_info.unused_bgs_lock.unlock();
    btrfs_unfreeze_block_group(fs_info, *bg);
    if (ret) fs_info.log(fmt::format("BTRFS warning: discard failed while removing blockgroup: errno={}", ret));
  }
}

// -o flushoncommit (transaction.c btrfs_start_delalloc_flush): every dirty inode is written back before
// the commit waits for its external writers. 6.1 asks the flusher (try_to_writeback_inodes_sb,
// WB_SYNC_NONE) and waits for that work; the committer runs the same writeback itself here.
void btrfs_start_delalloc_flush(btrfs_fs_info& fs_info) {
  if (btrfs_test_opt_flushoncommit(fs_info)) btrfs_start_delalloc_roots(fs_info, ~0ull);
}

// btrfs_wait_delalloc_flush: with -o flushoncommit, every ordered extent completes before COMMIT_DOING
// (TRANS_JOIN handles, which finish_ordered_io takes, still join in COMMIT_START).
void btrfs_wait_delalloc_flush(btrfs_fs_info& fs_info) {
  if (btrfs_test_opt_flushoncommit(fs_info)) btrfs_wait_ordered_roots(fs_info, ~0ull, 0, ~0ull);
}

}  // namespace

btrfs_trans_handle btrfs_start_transaction(btrfs_fs_info& fs_info) {
  btrfs_trans_handle h;
  start_transaction(fs_info, TRANS_START, "btrfs_start_transaction", &h);
  return h;
}

btrfs_trans_handle btrfs_join_transaction(btrfs_fs_info& fs_info) {
  btrfs_trans_handle h;
  start_transaction(fs_info, TRANS_JOIN, "btrfs_join_transaction", &h);
  return h;
}

int btrfs_join_transaction_nostart(btrfs_fs_info& fs_info, btrfs_trans_handle* out) {
  return start_transaction(fs_info, TRANS_JOIN_NOSTART, "btrfs_join_transaction_nostart", out);
}

bool btrfs_attach_transaction_barrier(btrfs_fs_info& fs_info, btrfs_trans_handle* out) {
  if (start_transaction(fs_info, TRANS_ATTACH, "btrfs_attach_transaction_barrier", out) == 0) return true;
  // btrfs_wait_for_commit(fs_info, 0): the newest transaction in COMMIT_START or later, unless completed.
  for (auto it = fs_info.trans_list.rbegin(); it != fs_info.trans_list.rend(); ++it) {
    if ((*it)->state < trans_state::commit_start) continue;
    const transaction_ptr t = *it;  // wait_for_commit may see it leave the list
    wait_for_commit(fs_info, t);
    break;
  }
  return false;
}

void btrfs_create_pending_block_groups(btrfs_trans_handle& trans) {
  auto& pending = trans.new_bgs;
  while (!pending.empty()) {  // inserting may allocate chunks, which queue more
    block_group_ptr bg = pending.front();
    pending.erase(pending.begin());
    insert_pending_chunk(trans, bg);
    // list_del_init(&block_group->bg_list), clear_bit(BLOCK_GROUP_FLAG_NEW) under unused_bgs_lock, after
    // the inserts: only now may the group go on unused_bgs.
    bg->on_new_bgs = false;
  }
  btrfs_trans_release_chunk_metadata(trans);
}

int btrfs_end_transaction(btrfs_trans_handle& trans) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  FSRACE_MODEL_CHECK(trans.transaction, "btrfs_end_transaction on an ended handle");
  // Complete when the handle made no block groups: btrfs_trans_release_chunk_metadata (chunk_block_rsv and
  // the space info: SpaceInfo; the transaction's chunk_bytes_reserved: Transaction; the wait queue is its
  // own object), the writer counters (Transaction). Inserting new groups' items is not declared.
  // btrfs_trans_release_chunk_metadata reads chunk_reserve_wait's list (has_waiters, no primitive): its object.
  // With new groups, btrfs_create_pending_block_groups (insert_pending_chunk: the block group item, the
  // chunk item with device items and sys_chunk_array under chunk_mutex, dev extents under
  // device_list_mutex, each insert tree code with its own scope; an abort's log line; the groups'
  // on_new_bgs): trees, block groups, devices, the chunk map, space info, the transaction, never an
  // inode or the oracle (fp::all_but_inodes).
  sched::FootprintScope scope(trans.new_bgs.empty()
                                  ? sched::declared()
                                        .writes_to(fp::transaction())
                                        .writes_to(fp::space_info())
                                        .reads_from(sched::lock_id(trans.transaction->chunk_reserve_wait.name()))
                                  : fp::all_but_inodes());
  btrfs_create_pending_block_groups(trans);  // this handle's own new block groups
  btrfs_trans_release_chunk_metadata(trans);
  // The step up to spin_lock's own point only builds its label: it touches nothing (footprint.hpp).
  sched::point(sched::L("btrfs_end_transaction(transid {})", trans.transid), sched::declared());
  fs_info.trans_lock.lock();
  trans.transaction->num_writers--;
  if (trans.type & TRANS_EXTWRITERS) trans.transaction->num_extwriters--;  // extwriter_counter_dec
  fs_info.trans_lock.unlock();
  fs_info.writers_wait.wake_up();
  trans.transaction.reset();
  return 0;
}

int btrfs_commit_transaction(btrfs_trans_handle& trans) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  transaction_ptr cur = trans.transaction;
  // From the commit's first point to the write-out's point. Complete (without -o flushoncommit, whose
  // delalloc flush touches inodes: then undeclared): the transaction's state, lists, counters and
  // fs_info->trans_list / running_transaction (Transaction; waits are primitives); delayed refs run
  // (btrfs_run_delayed_refs' claim) and read (commit_work_left); the tree updates of
  // write_dirty_block_groups and update_root_items (tree_write_claim; root items, dirty and force_cow
  // flags: every Tree; dirty_bgs, bg->dirty: Transaction, BlockGroup); new block groups' items and
  // pending snapshots run undeclared (below); btrfs_scrub_pause (Scrub, own scope); switch_commit_roots sets
  // every root's commit root (Tree), last_reloc_trans (read by send and relocation) after reading
  // fs_info->flags; the super block's sys_chunk_array copy from the chunk mappings (ChunkMap);
  // btrfs_commit_device_sizes (Device); btrfs_trans_release_chunk_metadata (SpaceInfo, Transaction,
  // chunk_reserve_wait's list); the UNBLOCKED section (Transaction). has_waiters() reads of
  // delayed_refs_wait and chunk_reserve_wait are claimed by their objects.
  std::optional<sched::FootprintScope> commit_scope;
  commit_scope.emplace(btrfs_test_opt_flushoncommit(fs_info)
                           ? sched::Footprint{}
                           : tree_write_claim()
                                 .writes_to(fp::unused_bgs())
                                 .writes_to(fp::scrub())
                                 .writes_to(fp::relocation())
                                 .writes_to(fp::send())
                                 .reads_from(fp::balance())
                                 .writes_to(fp::chunk_map())
                                 .touch_kind(sched::ObjectKind::Device)
                                 .reads_from(sched::lock_id(cur->chunk_reserve_wait.name()))
                                 .reads_from(sched::lock_id(fs_info.delayed_refs_wait.name())));
  // btrfs_create_pending_block_groups with new groups (chunk items, dev extents) is not declared.
  auto create_pending_block_groups = [&] {
    std::optional<sched::FootprintScope> undeclared;
    if (!trans.new_bgs.empty()) undeclared.emplace(sched::Footprint{});
    btrfs_create_pending_block_groups(trans);
  };
  sched::point(sched::L("btrfs_commit_transaction(transid {})", trans.transid));
  // BTRFS_DELAYED_REFS_FLUSHING: the first committer makes a pass over the delayed refs queued so far.
  if (!cur->delayed_refs_flushing) {
    cur->delayed_refs_flushing = true;
    const int ret = btrfs_run_delayed_refs(trans, false);
    if (ret) {
      btrfs_end_transaction(trans);
      return ret;
    }
  }
  create_pending_block_groups();
  // BTRFS_TRANS_DIRTY_BG_RUN, set under ro_block_group_mutex by the first committer: from here
  // btrfs_inc_block_group_ro backs off and waits for this commit (btrfs_start_dirty_block_groups is not
  // modelled separately).
  if (!cur->dirty_bg_run) {
    // The step from the lock's point to the unlock's: the transaction's flag only (Transaction).
    sched::FootprintScope scope(sched::declared().writes_to(fp::transaction()));
    fs_info.ro_block_group_mutex.lock();
    cur->dirty_bg_run = true;
    fs_info.ro_block_group_mutex.unlock();
  }
  // The state checks and changes below are the kernel's trans_lock sections; each is one step here.
  if (cur->state >= trans_state::commit_start) {
    // Another task commits this transaction: queue our snapshot on it, leave, wait for it.
    add_pending_snapshot(trans);
    const trans_state want = trans.in_fsync ? trans_state::super_committed : trans_state::completed;
    btrfs_end_transaction(trans);
    wait_for_commit(fs_info, cur, want);
    return 0;
  }
  cur->state = trans_state::commit_start;
  // From here TRANS_START and TRANS_ATTACH wait (wait_current_trans); TRANS_JOIN still attaches.
  // The previous transaction must be completed (written, super block, unpinned) first; an fsync's
  // commit waits only until its super block is written (SUPER_COMMITTED, d0c2f4fa555e, v5.12).
  const trans_state want_prev = trans.in_fsync ? trans_state::super_committed : trans_state::completed;
  for (size_t i = 1; i < fs_info.trans_list.size(); ++i) {
    if (fs_info.trans_list[i] != cur) continue;
    const transaction_ptr prev = fs_info.trans_list[i - 1];
    if (prev->state < want_prev) wait_for_commit(fs_info, prev, want_prev);
    break;
  }
  if (trans.type & TRANS_EXTWRITERS) cur->num_extwriters--;  // extwriter_counter_dec
  btrfs_start_delalloc_flush(fs_info);
  // btrfs_run_delayed_items: not modelled.
  if (cur->num_extwriters != 0) fs_info.writers_wait.wait_event([&] { return cur->num_extwriters == 0; });
  btrfs_wait_delalloc_flush(fs_info);
  // The wait for pending_ordered (ordered extents of a fast fsync's log) is not modelled: no log tree.
  btrfs_scrub_pause(fs_info);
  add_pending_snapshot(trans);
  cur->state = trans_state::commit_doing;
  // Handles joined before COMMIT_DOING must end: then only this one remains.
  if (cur->num_writers != 1) fs_info.writers_wait.wait_event([&] { return cur->num_writers == 1; });
  // The critical section: no other handle, none can start (reloc_mutex is not taken: no modelled
  // path contends for it).
  {
    std::optional<sched::FootprintScope> undeclared;  // creating snapshots is not declared
    if (!cur->pending_snapshots.empty()) undeclared.emplace(sched::Footprint{});
    create_pending_snapshots(trans);
  }
  int ret = btrfs_run_delayed_refs(trans);
  if (ret) return ret;
  // commit_fs_roots clears BTRFS_ROOT_FORCE_COW; commit_cowonly_roots runs what is left until the
  // trees stop changing.
  for (auto& [id, root] : fs_info.roots) root->force_cow = false;
  for (int round = 0; commit_work_left(trans); ++round) {
    FSRACE_MODEL_CHECK(round < 64, "transaction commit does not converge");
    create_pending_block_groups();
    ret = btrfs_run_delayed_refs(trans);
    if (ret) return ret;
    write_dirty_block_groups(trans);
    update_root_items(trans);
  }
  // switch_commit_roots, under commit_root_sem.
  fs_info.commit_root_sem.down_write();
  sched::point(sched::L("switch_commit_roots(transid {})", cur->transid));
  // d96b34248c2f: send notices that relocation committed while it walked commit roots.
  if ((fs_info.flags & BTRFS_FS_RELOC_RUNNING) && fs_info.fixes.has("d96b34248c2f"))
    fs_info.last_reloc_trans = cur->transid;
  for (auto& [id, root] : fs_info.roots) {
    root->commit_root = root->node;
    root->commit_root_level = root->level;
    root->commit_root_gen = fs_info.buffer_radix.find(root->node) ? (*fs_info.buffer_radix.find(root->node))->header.generation : 0;
  }
  // memcpy(super_for_commit, super_copy): the system chunks of super_copy's sys_chunk_array as of this
  // commit (btrfs_add_system_chunk adds a system chunk's entry with its chunk item, btrfs_del_sys_chunk
  // removes it).
  fs_info.super_sys_chunk_array.clear();
  for (const auto& [logical, bytes] : fs_info.sys_chunk_array) {
    auto m = fs_info.mapping_tree.find(logical);
    FSRACE_MODEL_CHECK(m != fs_info.mapping_tree.end(), "sys_chunk_array names chunk {}, which has no mapping", logical);
    fs_info.super_sys_chunk_array.emplace(logical, chunk_map_of(fs_info, *m->second));
  }
  btrfs_commit_device_sizes(fs_info, cur->transid);
  fs_info.commit_root_sem.up_write();
  btrfs_trans_release_chunk_metadata(trans);
  // TRANS_STATE_UNBLOCKED: new handles start the next transaction while this commit writes out.
  fs_info.trans_lock.lock();
  cur->state = trans_state::unblocked;
  fs_info.running_transaction = nullptr;
  cur->num_writers--;
  fs_info.trans_lock.unlock();
  fs_info.transaction_wait.wake_up();
  sched::point(sched::L("btrfs_write_and_wait_transaction(transid {})", cur->transid));
  // The write-out, nested in commit_scope (so that its steps never take the caller's claim), up to the
  // end. Wide, not audited piece by piece (fp::all_but_inodes): everything but inodes' in-memory
  // state, the name lookup, the oracle and the primitives' objects. write_dirty_tree_blocks reads and clears the dirty tree block list
  // (Transaction), csums the blocks and writes them (buffer_radix: Tree, Bytenr; btrfs_map_block:
  // ChunkMap, Device, Replace, the log; the devices' contents: DeviceData) or their extent buffers
  // (flags, io_pages, the btree inode's pages and their waiters, refs_lock: Tree, Bytenr, Other;
  // submit_bio opens its own scope, the bio's end_io runs in its own fiber) and waits for their
  // writeback (a wait list); then fs_info->generation and the state (Transaction); commit_wait and
  // dev_replace->rwsem are primitives. No inode of the inode cache (the btree inode is not one:
  // fp::btree_inode, Other), no name lookup and nothing of the oracle is touched.
  sched::FootprintScope writeout(fp::all_but_inodes());
  write_dirty_tree_blocks(fs_info, cur->transid);
  fs_info.generation = std::max(fs_info.generation, cur->transid);  // write_all_supers
  cur->state = trans_state::super_committed;
  if (cur->super_committed_waiters) fs_info.commit_wait.wake_up();  // wake_up(&cur_trans->commit_wait)
  // From btrfs_finish_extent_commit's point to the end. Complete: unpin_extents (fs_info->pinned_extents:
  // Transaction and BlockGroup as btrfs_update_block_group claims them; the groups' pinned bytes and free
  // space; the space infos' counters), last_trans_committed, the state and trans_list (Transaction); the
  // trans handle's reference; btrfs_scrub_continue (own scope). Discards (-o discard, the cleaner's
  // deleted_bgs) run undeclared.
  sched::FootprintScope finish_scope(sched::declared()
                                         .touch_kind(sched::ObjectKind::BlockGroup)
                                         .writes_to(fp::space_info())
                                         .writes_to(fp::transaction()));
  sched::point(sched::L("btrfs_finish_extent_commit(transid {})", cur->transid));
  {
    std::optional<sched::FootprintScope> undeclared;
    if (btrfs_test_opt_discard_sync(fs_info) || !cur->deleted_bgs.empty()) undeclared.emplace(sched::Footprint{});
    unpin_extents(fs_info, cur->transid);
    discard_deleted_bgs(fs_info, *cur);
  }
  fs_info.last_trans_committed = cur->transid;
  // TRANS_STATE_COMPLETED and list_del_init from trans_list (the kernel's spin on trans_lock between
  // the two is one step here).
  cur->state = trans_state::completed;
  std::erase(fs_info.trans_list, cur);
  fs_info.commit_wait.wake_up();
  trans.transaction.reset();
  btrfs_scrub_continue(fs_info);
  return 0;
}

int btrfs_wait_for_commit(btrfs_fs_info& fs_info, const transaction_ptr& cur) {
  wait_for_commit(fs_info, cur);
  return 0;
}

int btrfs_commit_current(btrfs_fs_info& fs_info) {
  btrfs_trans_handle trans = btrfs_join_transaction(fs_info);
  return btrfs_commit_transaction(trans);
}

int btrfs_commit_attached(btrfs_fs_info& fs_info) {
  btrfs_trans_handle trans;
  if (!btrfs_attach_transaction_barrier(fs_info, &trans)) return 0;
  return btrfs_commit_transaction(trans);
}

void btrfs_scrub_pause(btrfs_fs_info& fs_info) {
  // Complete: the scrub pause counters (scrub_pause_req, scrubs_paused, scrubs_running: Scrub); the lock and
  // the wait queue are their own objects.
  sched::FootprintScope scope(sched::declared().writes_to(fp::scrub()));
  fs_info.scrub_lock.lock();
  fs_info.scrub_pause_req++;
  while (fs_info.scrubs_paused != fs_info.scrubs_running) {
    fs_info.scrub_lock.unlock();
    fs_info.scrub_pause_wait.wait_event([&] { return fs_info.scrubs_paused == fs_info.scrubs_running; });
    fs_info.scrub_lock.lock();
  }
  fs_info.scrub_lock.unlock();
}

void btrfs_scrub_continue(btrfs_fs_info& fs_info) {
  sched::FootprintScope scope(sched::declared().writes_to(fp::scrub()));  // complete: as btrfs_scrub_pause
  fs_info.scrub_lock.lock();
  fs_info.scrub_pause_req--;
  fs_info.scrub_lock.unlock();
  fs_info.scrub_pause_wait.wake_up();
}

}  // namespace fsrace::model
