// Transactions (fs/btrfs/transaction.c): start / join / attach / end / commit with the kernel's states
// (TRANS_STATE_RUNNING .. COMPLETED) and the handle types they block (btrfs_blocked_trans_types),
// external writers, pending snapshots created in the commit's critical section, delayed refs run at
// commit, switch_commit_roots under commit_root_sem, dirty tree blocks written after the transaction
// is unblocked, pinned extents unpinned after the super block, and the scrub pause handshake.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "model/delayed_ref.hpp"
#include "scheduler/sync/atomic.hpp"
#include "scheduler/sync/mutex.hpp"
#include "scheduler/sync/wait_queue.hpp"

namespace fsrace::model {

struct btrfs_fs_info;
struct btrfs_block_group_cache;

struct btrfs_pending_snapshot;

// enum btrfs_trans_state, in order.
enum class trans_state { running, commit_start, commit_doing, unblocked, super_committed, completed };

// Handle types (transaction.h): which states block them is btrfs_blocked_trans_types.
enum : unsigned {
  __TRANS_START = 1u << 9,
  __TRANS_ATTACH = 1u << 10,
  __TRANS_JOIN = 1u << 11,
  __TRANS_JOIN_NOSTART = 1u << 12,
  TRANS_START = __TRANS_START,
  TRANS_ATTACH = __TRANS_ATTACH,
  TRANS_JOIN = __TRANS_JOIN,
  TRANS_JOIN_NOSTART = __TRANS_JOIN_NOSTART,
  TRANS_EXTWRITERS = __TRANS_START | __TRANS_ATTACH,  // handles the commit waits for before COMMIT_DOING
};

struct btrfs_transaction {
  uint64_t transid = 0;
  trans_state state = trans_state::running;
  int num_writers = 0;     // handles open on it (protected by fs_info->trans_lock)
  int num_extwriters = 0;  // of which TRANS_START / TRANS_ATTACH (extwriter_counter_*)
  bool delayed_refs_flushing = false;  // BTRFS_DELAYED_REFS_FLUSHING: one committer runs the first pass
  // pending_snapshots: added by add_pending_snapshot (state >= COMMIT_START), created by the commit
  // once every other writer left. The ioctls own them and wait for the commit.
  std::vector<btrfs_pending_snapshot*> pending_snapshots;
  btrfs_delayed_ref_root delayed_refs;
  std::set<uint64_t> dirty_bgs;  // block groups whose item must be updated at commit
  // Groups the cleaner removed with -o discard (frozen, so their chunk mapping stays): discarded whole and
  // unfrozen by btrfs_finish_extent_commit. The transaction holds a reference on each.
  std::vector<std::shared_ptr<btrfs_block_group_cache>> deleted_bgs;
  sched::SpinLock deleted_bgs_lock{"transaction->deleted_bgs_lock"};  // before bffcdf9da76b
  bool dirty_bg_run = false;     // BTRFS_TRANS_DIRTY_BG_RUN: the commit started writing dirty block groups
  // Tasks waiting for this transaction to reach SUPER_COMMITTED (fsync commits, trans->in_fsync). The
  // commit wakes commit_wait at SUPER_COMMITTED only for them: every other waiter wants COMPLETED and
  // would sleep again, so the wake-up is not a scheduling point of commits nobody waits on that way.
  int super_committed_waiters = 0;
  // eafa4fd0ad06 (5.13, reverted by 1cb3db1cf383): chunk space reserved by all handles of this transaction,
  // and the queue check_system_chunk waits on for other handles to release theirs.
  uint64_t chunk_bytes_reserved = 0;
  sched::WaitQueue chunk_reserve_wait{"transaction->chunk_reserve_wait"};
};
using transaction_ptr = std::shared_ptr<btrfs_transaction>;

struct btrfs_trans_handle {
  btrfs_fs_info* fs_info = nullptr;
  transaction_ptr transaction;
  uint64_t transid = 0;
  unsigned type = 0;                                    // TRANS_START, TRANS_JOIN, TRANS_ATTACH
  btrfs_pending_snapshot* pending_snapshot = nullptr;   // trans->pending_snapshot (create_snapshot)
  bool in_fsync = false;  // trans->in_fsync (btrfs_sync_file): its commit waits for SUPER_COMMITTED only
  // This handle's share of fs_info->chunk_block_rsv (check_system_chunk, btrfs_reserve_chunk_metadata),
  // given back by btrfs_trans_release_chunk_metadata.
  uint64_t chunk_bytes_reserved = 0;
  // trans->new_bgs: block groups this handle allocated whose items phase 2 (btrfs_create_pending_block_groups,
  // at the handle's end or in its commit) has not inserted yet. The list holds the objects, as the kernel's.
  std::vector<std::shared_ptr<btrfs_block_group_cache>> new_bgs;
  bool allocating_chunk = false;  // trans->allocating_chunk: in do_chunk_alloc (no nested chunk allocation)
  bool removing_chunk = false;    // trans->removing_chunk: btrfs_remove_chunk holds chunk_mutex
};

// start_transaction: btrfs_start_transaction (TRANS_START) waits while a commit is between
// COMMIT_START and UNBLOCKED (wait_current_trans) and counts as an external writer the commit waits
// for; btrfs_join_transaction (TRANS_JOIN) attaches to a transaction in COMMIT_START and waits only
// from COMMIT_DOING on. Both start a new transaction when none runs.
btrfs_trans_handle btrfs_start_transaction(btrfs_fs_info& fs_info);
btrfs_trans_handle btrfs_join_transaction(btrfs_fs_info& fs_info);
// btrfs_attach_transaction_barrier: attaches to the running transaction (TRANS_ATTACH, blocked like
// TRANS_START); when none runs, waits for the last committing one to complete (btrfs_wait_for_commit)
// and returns false.
bool btrfs_attach_transaction_barrier(btrfs_fs_info& fs_info, btrfs_trans_handle* out);
// btrfs_join_transaction_nostart (a6d155d2e363, 4490e803e1fe): joins the running transaction up to
// COMMIT_START as TRANS_JOIN does and never starts one: -ENOENT when none runs, and after waiting for a
// commit past COMMIT_START (fiemap's sharedness check then reads the commit roots under commit_root_sem).
int btrfs_join_transaction_nostart(btrfs_fs_info& fs_info, btrfs_trans_handle* out);
int btrfs_end_transaction(btrfs_trans_handle& trans);
// btrfs_commit_transaction: the whole commit, or the wait for another task's commit of the same
// transaction (wait_for_commit). Returns 0 or a negative errno.
int btrfs_commit_transaction(btrfs_trans_handle& trans);
// Joins and commits the running transaction, starting one if none runs (send's
// ensure_commit_roots_uptodate, relocation's "get rid of pinned extents").
int btrfs_commit_current(btrfs_fs_info& fs_info);
// btrfs_sync_fs's transaction part: attach (barrier) and commit; with no transaction running, only
// the wait for the last commit (BTRFS_FS_NEED_TRANS_COMMIT is not modelled).
int btrfs_commit_attached(btrfs_fs_info& fs_info);
// btrfs_wait_for_commit for a transaction the caller saw: returns once its commit (and every earlier
// one) completed.
int btrfs_wait_for_commit(btrfs_fs_info& fs_info, const transaction_ptr& cur);

// btrfs_create_pending_block_groups: inserts the chunk item, dev extents and block group item of the
// chunks this transaction allocated (deferred so that allocating a chunk never nests tree locks).
void btrfs_create_pending_block_groups(btrfs_trans_handle& trans);

// Scrub pause handshake (btrfs_scrub_pause / btrfs_scrub_continue, scrub_blocked_if_needed).
void btrfs_scrub_pause(btrfs_fs_info& fs_info);
void btrfs_scrub_continue(btrfs_fs_info& fs_info);

}  // namespace fsrace::model
