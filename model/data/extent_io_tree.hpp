// The io tree of an inode (struct extent_io_tree): byte ranges carrying EXTENT_LOCKED (range locks
// taken by writeback, direct IO, reads and ordered extent completion) and EXTENT_DELALLOC (dirty data
// without an extent yet). Ranges are [start, end) here (the kernel's are inclusive).
#pragma once
#include <cstdint>
#include <map>
#include <utility>

#include "model/data/range_set.hpp"
#include "scheduler/sync/blocking.hpp"

namespace fsrace::model {

struct btrfs_fs_info;
struct btrfs_inode;

// One extent_state carrying EXTENT_LOCKED: its end and an identity (the struct's address in the kernel).
// Locked states never merge (merge_state skips EXTENT_LOCKED), so each lock call leaves its own states.
struct extent_state_rec {
  uint64_t end = 0;
  uint64_t id = 0;
};

struct extent_io_tree {
  range_set locked;    // EXTENT_LOCKED
  // The same bytes as `locked`, as the kernel's extent_state objects: start -> {end, id}. A lock call
  // inserts a state per free piece it takes; clearing part of a state splits it as split_state does: the
  // original object keeps the upper part (its start moves up), a new one the lower part. Boundaries of
  // other bits (DELALLOC, the UPTODATE of holes) are not modelled.
  std::map<uint64_t, extent_state_rec> lock_states;
  uint64_t next_state_id = 1;
  // States a task holds a reference to (refcount_inc(&state->refs)): id -> their [start, end) as the
  // object says now; a state cleared out of the tree keeps its last fields here until it is released.
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> held_states;
  range_set delalloc;  // EXTENT_DELALLOC
  // EXTENT_NORESERVE: delalloc of a nocow buffered write that reserved no data space (btrfs_dirty_pages
  // with noreserve). Cleared with EXTENT_DELALLOC (clear_extent_bit) and by fallback_to_cow.
  range_set noreserve;
  sched::WaitList waiters;  // tasks sleeping in lock_extent_bits
};

// lock_extent: sleeps until no part of [start, end) is locked, then locks it (one step), holding nothing
// while it sleeps (9e769bd7e5db). With that fix off, 6.1.0's loop: what is free below the first locked
// byte (failed_start) is locked and kept while it waits, and the lock goes on from failed_start.
void lock_extent(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end);
// unlock_extent: clears EXTENT_LOCKED on [start, end) and wakes sleepers.
void unlock_extent(btrfs_inode& inode, uint64_t start, uint64_t end);
// set_extent_bit(EXTENT_LOCKED) on a free [start, end), no sleeping: one new state (try_lock_extent,
// and lock_extent once its range is free).
void set_extent_locked(extent_io_tree& tree, uint64_t start, uint64_t end);
// The first state of the tree (rb_first) taken with a reference: its id. The tree must not be empty.
uint64_t extent_state_hold_first(extent_io_tree& tree);
// The held state's [start, end) as its fields say now; free_extent_state drops the reference.
std::pair<uint64_t, uint64_t> extent_state_fields(const extent_io_tree& tree, uint64_t id);
void free_extent_state(extent_io_tree& tree, uint64_t id);

}  // namespace fsrace::model
