// fs_info state of the data paths (inodes, page cache, delalloc, ordered extents, data oracle).
// Owned by the data-path engineer; btrfs_fs_info inherits it so fields read as fs_info.<kernel name>.
//
// Copying it is the per-execution clone: inodes (with their page caches) and oracle files are shared
// with the prepared state and copied on first modification (btrfs_iget makes the inode private), so
// a clone costs the number of inodes, not the bytes cached.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "model/cow_value.hpp"
#include "model/data/btrfs_inode.hpp"
#include "model/data/data_oracle.hpp"
#include "model/data/fiemap_check.hpp"
#include "model/data/ordered_extent.hpp"
#include "model/flat_map.hpp"
#include "scheduler/sync/mutex.hpp"
#include "scheduler/sync/rw_semaphore.hpp"

namespace fsrace::model {

// The data-path fields of struct btrfs_root, kept here by root objectid (btrfs_root belongs to the
// core model).
// struct btrfs_drew_lock (locking.c): readers exclude writers and writers exclude readers, each side
// shared. root->snapshot_lock: nocow buffered writes are its writers (btrfs_check_nocow_lock, try only),
// snapshot creation its reader (btrfs_mksnapshot).
struct btrfs_drew_lock {
  int readers = 0;  // atomic_t readers
  int writers = 0;  // the percpu counter writers
  sched::WaitList pending_readers, pending_writers;
};

struct btrfs_root_data {
  btrfs_drew_lock snapshot_lock;  // root->snapshot_lock
  // root->snapshot_force_cow (8ecebf4d767e): raised by btrfs_mksnapshot once the flush of the root's
  // delalloc started; writeback then COWs nocow ranges (can_nocow_file_extent).
  int snapshot_force_cow = 0;
  std::vector<uint64_t> ordered_extents;  // root->ordered_extents: ordered extent ids in list order
  uint64_t nr_ordered_extents = 0;
  std::vector<uint64_t> delalloc_inodes;  // root->delalloc_inodes: inode numbers in list order
  uint64_t nr_delalloc_inodes = 0;
  uint64_t highest_objectid = 256;        // root->highest_objectid (256 is the top directory)
  // The top directory's index_cnt: its next DIR_INDEX; (u64)-1 while not loaded (an inode read from disk,
  // btrfs_alloc_inode), then loaded from the last DIR_INDEX key on first use (model/data/dir_index.hpp).
  uint64_t dir_index = 2;
  // The top directory's dentries: name -> ino (copy on write: executions rarely change it, clones share it).
  cow_value<std::map<std::string, uint64_t, std::less<>>> dcache;
  // The top directory's inode->i_rwsem. The VFS holds it for writing across create (open_last_lookups)
  // and unlink (do_unlinkat, before the file's own i_rwsem), btrfs_mksubvol across snapshot and
  // subvolume creation: the directory's entries and its i_size change one name at a time.
  sched::RwSemaphore dir_i_rwsem{"dir->i_rwsem"};
};

struct btrfs_fs_data_state {
  std::map<uint64_t, btrfs_root_data> data_roots;  // by root objectid
  // The inode cache by (root, ino). shared_ptr for copy on write only: never stored elsewhere. A sorted
  // vector: copied with the clone in one allocation, walked in order by the state size after each op.
  flat_map<std::pair<uint64_t, uint64_t>, std::shared_ptr<btrfs_inode>> inode_cache;
  uint64_t next_inode_address = 1;  // btrfs_inode::address of the next in-memory inode made

  std::map<uint64_t, btrfs_ordered_extent> ordered_extents;  // every live ordered extent by id
  uint64_t next_ordered_id = 1;
  std::vector<uint64_t> ordered_roots;   // fs_info->ordered_roots: roots with ordered extents
  std::vector<uint64_t> delalloc_roots;  // fs_info->delalloc_roots: roots with delalloc inodes
  sched::Mutex ordered_operations_mutex{"fs_info->ordered_operations_mutex"};
  sched::Mutex delalloc_root_mutex{"fs_info->delalloc_root_mutex"};
  // Stands for the csum tree's leaf lock during btrfs_del_csums (several tree operations here).
  sched::Mutex csum_edit_lock{"leaf lock (csum tree)"};

  data_oracle oracle;
  std::vector<fiemap_call> fiemap_calls;  // every FIEMAP of the execution (fiemap_matches_file)

  // Counters for tests and reports (never read by model decisions).
  struct data_stats {
    uint64_t cow_extents = 0, nocow_extents = 0, dio_cow = 0, dio_nocow = 0, read_repairs = 0, csum_errors = 0;
  } data_stats;
};

}  // namespace fsrace::model
