#include "model/data/extent_io_tree.hpp"

#include <algorithm>

#include "model/data/btrfs_inode.hpp"
#include "model/data/wait.hpp"
#include "model/fs_info.hpp"
#include "model/items.hpp"
#include "scheduler/finding.hpp"

namespace fsrace::model {

bool btrfs_inode::nodatacow() const { return flags & BTRFS_INODE_NODATACOW; }
bool btrfs_inode::nodatasum() const { return flags & BTRFS_INODE_NODATASUM; }

void lock_extent(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end) {
  extent_io_tree& tree = inode.io_tree;
  const auto label = sched::L("lock_extent_bits(ino {} off {})", inode.ino, start);
  if (fs_info.fixes.has("9e769bd7e5db")) {
    // __set_extent_bit's -EEXIST: clear what was locked below failed_start, wait, retry from the start.
    // Nothing is held while waiting, so the model takes the whole range in one step once it is free.
    wait_until(tree.waiters, label, [&] { return !tree.locked.intersects(start, end); });
    set_extent_locked(tree, start, end);
    return;
  }
  // 6.1.0: the first __set_extent_bit locks [start, failed_start) and keeps it; wait_extent_bit waits
  // for [failed_start, end) to be free; the retry from failed_start then takes the rest (the model's
  // check and lock are one step, so the retry cannot meet a new holder). The same scheduling points
  // as with the fix: only what is held while waiting differs.
  uint64_t cur = start;
  bool tried = false;
  wait_until(tree.waiters, label, [&] {
    if (!tree.locked.intersects(cur, end)) return true;
    if (!tried) {
      tried = true;
      const uint64_t failed_start = std::max(cur, tree.locked.first_from(cur)->first);
      if (failed_start > cur) set_extent_locked(tree, cur, failed_start);
      cur = failed_start;
    }
    return false;
  });
  set_extent_locked(tree, cur, end);
}

void set_extent_locked(extent_io_tree& tree, uint64_t start, uint64_t end) {
  if (start >= end) return;
  FSRACE_MODEL_CHECK(!tree.locked.intersects(start, end), "io tree: locking [{}, {}) over a locked range", start, end);
  tree.locked.add(start, end);
  tree.lock_states[start] = {end, tree.next_state_id++};
}

namespace {

// clear_extent_bit(EXTENT_LOCKED) on the states: split_state at start and at end (the lower part a new
// state), the states inside removed from the tree (a held one keeps its fields in held_states).
void clear_lock_states(extent_io_tree& tree, uint64_t start, uint64_t end) {
  auto it = tree.lock_states.upper_bound(start);
  if (it != tree.lock_states.begin() && std::prev(it)->second.end > start) it = std::prev(it);
  while (it != tree.lock_states.end() && it->first < end) {
    uint64_t s = it->first;
    extent_state_rec rec = it->second;
    it = tree.lock_states.erase(it);
    if (s < start) {  // split_state(state, prealloc, start): prealloc [s, start) stays locked
      tree.lock_states[s] = {start, tree.next_state_id++};
      s = start;
    }
    if (rec.end > end) {  // split_state(state, prealloc, end): prealloc [s, end) is cleared, state keeps the rest
      tree.lock_states[end] = rec;
      if (auto h = tree.held_states.find(rec.id); h != tree.held_states.end()) h->second = {end, rec.end};
      break;
    }
    // clear_state_bit: no bits left, out of the tree; a holder's copy keeps [s, rec.end).
    if (auto h = tree.held_states.find(rec.id); h != tree.held_states.end()) h->second = {s, rec.end};
  }
}

}  // namespace

void unlock_extent(btrfs_inode& inode, uint64_t start, uint64_t end) {
  clear_lock_states(inode.io_tree, start, end);
  inode.io_tree.locked.remove(start, end);
  inode.io_tree.waiters.wake_all();
}

uint64_t extent_state_hold_first(extent_io_tree& tree) {
  FSRACE_MODEL_CHECK(!tree.lock_states.empty(), "io tree: no state to hold");
  const auto& [start, rec] = *tree.lock_states.begin();
  tree.held_states[rec.id] = {start, rec.end};
  return rec.id;
}

std::pair<uint64_t, uint64_t> extent_state_fields(const extent_io_tree& tree, uint64_t id) {
  auto it = tree.held_states.find(id);
  FSRACE_MODEL_CHECK(it != tree.held_states.end(), "io tree: state {} is not held", id);
  return it->second;
}

void free_extent_state(extent_io_tree& tree, uint64_t id) { tree.held_states.erase(id); }

}  // namespace fsrace::model
