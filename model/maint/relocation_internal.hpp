// Pieces of relocation shared by model/maint/relocation*.cpp (not for other modules).
#pragma once
#include <cstdint>

#include "model/footprints.hpp"
#include "model/items.hpp"
#include "model/maint/balance_state.hpp"
#include "scheduler/footprint.hpp"

namespace fsrace::model {

struct btrfs_fs_info;
struct btrfs_trans_handle;

// DPOR claims shared by balance and relocation (scheduler/footprint.hpp, model/footprints.hpp).
namespace reloc_fp {
using sched::ObjectKind;
/// fs_info.dmesg: every fs_info.log() appends to it, and ops read it during the execution (send, scrub).
inline uint64_t kernel_log() { return fp::kernel_log(); }
/// Code whose callees this file cannot narrow (commit, delayed ref runs, writeback, ordered extent waits):
/// undeclared, dependent on every step.
inline sched::Footprint everything() { return sched::Footprint{}; }
/// Everything but inodes' in-memory state, the name lookup and the oracle (fp::all_but_inodes): tree
/// modification (COW, block allocation with find_free_extent and chunk allocation, delayed refs, pending
/// block group inserts at end_transaction), none of which touches an inode's page cache, io tree, extent
/// maps or ordered extents, looks up or changes a name (fp::dcache), or touches the oracle.
/// Nor the primitives' own objects (ObjectKind::Lock): each primitive records its object itself at
/// every operation and state read (scheduler/sync: lock, unlock, wait, wake, complete, atomics, and
/// is_locked, owner, readers, write_locked, done, peek, has_waiters), and no claim names a primitive's
/// object for state it reads otherwise (the only such reads, waiters(), follow a write_locked() in
/// dev_replace_read_lock, or run in state dumps outside any step); a step in this scope that takes
/// a lock records that lock, not every one.
inline sched::Footprint wide() { return fp::all_but_inodes(); }
/// btrfs_map_block (volumes.cpp, no scope): the chunk map, the stripes' devices (state, place on the
/// list), dev_replace's state, and dev_replace->rwsem's state peeked without a primitive when nobody holds
/// or waits for it (dev_replace_read_lock): that rwsem's own object, read; "unable to find logical" (log).
inline sched::Footprint& map_block(sched::Footprint& f) {
  f.reads_from(fp::chunk_map()).touch_kind(ObjectKind::Device, false).reads_from(fp::replace());
  f.reads_from(sched::lock_id("dev_replace->rwsem")).writes_to(kernel_log());
  return f;
}
/// Reading the tree `root` (btrfs_for_each_item, btrfs_search_slot on the current or commit root):
/// read_tree_block of a block not cached maps it (chunk map, devices), reads its device contents (any
/// device, metadata chunks), verifies it, puts it in buffer_radix (the tree's cached blocks: written) and
/// logs on a bad block (map_block's claim covers the log). A bytenr freed by one tree and reused by another is read as its new content
/// (ctree.hpp btrfs_path): every tree is read.
inline sched::Footprint& read_tree(sched::Footprint& f, uint64_t root) {
  f.writes_to(fp::tree(root)).touch_kind(ObjectKind::Tree, false).touch_kind(ObjectKind::DeviceData, false);
  return map_block(f);  // btrfs_num_copies and btrfs_map_block of each mirror
}
/// btrfs_start_transaction / btrfs_join_transaction (transaction.cpp start_transaction): trans_lock
/// section on running_transaction, trans_list, the new transaction's transid (fs_info->generation,
/// last_transid_started), num_writers; wait_event on transaction_wait (a primitive). No space reserved.
inline sched::Footprint start_transaction() { return sched::touching(fp::transaction()); }
}  // namespace reloc_fp

inline bool reloc_in_group(const reloc_control& rc, uint64_t bytenr) {
  return bytenr >= rc.block_group && bytenr < rc.block_group + rc.length;
}

// relocate_tree_blocks for one tree block found in the group (relocation_tree.cpp): COWs the path
// down to it in every tree whose current root reaches it. The trees to try first are the block's
// back references; any other tree is searched when none of them reaches it (the model's back
// references name the root that added them, which a COW of a shared parent can leave stale).
// Marks what it relocated in rc.processed_blocks. Returns 0.
int relocate_tree_block(btrfs_trans_handle& trans, reloc_control& rc, uint64_t bytenr, int level,
                        const btrfs_extent_item& ei);

// MOVE_DATA_EXTENTS (relocation_data.cpp). relocate_data_extent adds the extent to the cluster,
// relocating the cluster first when the extent does not continue it.
int relocate_data_extent(btrfs_fs_info& fs_info, reloc_control& rc, uint64_t bytenr, uint64_t num_bytes);
// relocate_file_extent_cluster: preallocates a new extent for every extent of the cluster and reads
// the old contents into the reloc inode's pages (dirty, written by the next function).
int relocate_file_extent_cluster(btrfs_fs_info& fs_info, reloc_control& rc);
// btrfs_wait_ordered_range on the data reloc inode: writes its dirty pages into the preallocated
// extents and finishes their ordered extents (checksums cloned from the old location,
// btrfs_reloc_clone_csums); from then on get_new_location finds them. 0 or -EIO.
int reloc_inode_wait_ordered_range(btrfs_fs_info& fs_info, reloc_control& rc);

// UPDATE_DATA_PTRS for one data extent found in the group (add_data_references + replace_file_extents):
// repoints every file extent item referencing it, in every root its back references name, to its new
// location. A file extent item referencing an extent that was not moved (get_new_location -ENOENT)
// aborts the transaction as 6.1's reloc tree leaf COW does (in __btrfs_cow_block). unreferenced: it was
// not moved and no file extent item points at it (no leaf to COW): it stays in place.
// range_locked: a writer holds the extent range of one of its file extent items (try_lock_extent
// failed, *busy names it); the caller waits for it without a transaction handle and retries.
enum class replace_result { replaced, unreferenced, range_locked };
struct locked_file_range {
  uint64_t root = 0, ino = 0, start = 0, end = 0;
};
replace_result replace_file_extents(btrfs_trans_handle& trans, reloc_control& rc, uint64_t bytenr,
                                    const btrfs_extent_item& ei, locked_file_range* busy);
// Sleeps until nobody holds the range (lock_extent + unlock_extent).
void wait_file_range_unlocked(btrfs_fs_info& fs_info, const locked_file_range& range);

// The reloc inode's references to the extents preallocated by this pass (insert_prealloc_file_extent:
// btrfs_alloc_reserved_file_extent with root BTRFS_DATA_RELOC_TREE_OBJECTID, owner the reloc inode,
// offset its file offset). The kernel queues each in its prealloc's own transaction; the model queues
// them in the pass's last transaction, before the commit that inserts them in both (until then the
// extents are only reserved and nothing else can see them).
void reloc_add_data_inode_refs(btrfs_trans_handle& trans, reloc_control& rc);

// End of relocation: iput of the reloc inode drops its references; an extent no file took over (or
// whose file dropped it meanwhile) goes with its cloned checksums when they run.
void reloc_release_data_inode(btrfs_fs_info& fs_info, reloc_control& rc);

}  // namespace fsrace::model
