// Transactions (fs/btrfs/transaction.c): start / join / end / commit, delayed refs run at commit,
// switch_commit_roots under commit_root_sem, dirty tree blocks written at commit, pinned extents
// unpinned after it, and the scrub pause handshake.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "model/delayed_ref.hpp"
#include "scheduler/sync/atomic.hpp"
#include "scheduler/sync/wait_queue.hpp"

namespace fsrace::model {

struct btrfs_fs_info;

enum class trans_state { running, commit_start, commit_doing, unblocked, completed };

struct btrfs_transaction {
  uint64_t transid = 0;
  trans_state state = trans_state::running;
  int num_writers = 0;     // handles open on it (protected by fs_info->trans_lock)
  btrfs_delayed_ref_root delayed_refs;
  std::set<uint64_t> dirty_bgs;  // block groups whose item must be updated at commit
  std::vector<uint64_t> new_bgs; // chunks allocated in this transaction whose items are not inserted yet
  bool dirty_bg_run = false;     // BTRFS_TRANS_DIRTY_BG_RUN: the commit started writing dirty block groups
};
using transaction_ptr = std::shared_ptr<btrfs_transaction>;

struct btrfs_trans_handle {
  btrfs_fs_info* fs_info = nullptr;
  transaction_ptr transaction;
  uint64_t transid = 0;
};

// btrfs_start_transaction / btrfs_join_transaction: join the running transaction or start one
// (waiting while a commit is in its critical section).
btrfs_trans_handle btrfs_start_transaction(btrfs_fs_info& fs_info);
btrfs_trans_handle btrfs_join_transaction(btrfs_fs_info& fs_info);
int btrfs_end_transaction(btrfs_trans_handle& trans);
// btrfs_commit_transaction: the whole commit. Returns 0 or a negative errno.
int btrfs_commit_transaction(btrfs_trans_handle& trans);
// btrfs_wait_for_commit for a transaction the caller saw: returns once its commit completed.
int btrfs_wait_for_commit(btrfs_fs_info& fs_info, const transaction_ptr& cur);
// Joins and commits the running transaction (or the last one, if none runs): what sync does.
int btrfs_commit_current(btrfs_fs_info& fs_info);

// btrfs_create_pending_block_groups: inserts the chunk item, dev extents and block group item of the
// chunks this transaction allocated (deferred so that allocating a chunk never nests tree locks).
void btrfs_create_pending_block_groups(btrfs_trans_handle& trans);

// Scrub pause handshake (btrfs_scrub_pause / btrfs_scrub_continue, scrub_blocked_if_needed).
void btrfs_scrub_pause(btrfs_fs_info& fs_info);
void btrfs_scrub_continue(btrfs_fs_info& fs_info);

}  // namespace fsrace::model
