// The in-memory inode (struct btrfs_inode + its VFS inode): size, flags, page cache, io tree, the
// extent maps of writes in flight, the ordered extents of the file and the locks the data paths take.
// On disk an inode is its INODE_ITEM, INODE_REF and EXTENT_DATA items in its root's tree.
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "model/data/extent_io_tree.hpp"
#include "model/data/page_cache.hpp"
#include "scheduler/sync/blocking.hpp"
#include "scheduler/sync/mutex.hpp"
#include "scheduler/sync/rw_semaphore.hpp"

namespace fsrace::model {

// A pinned extent map (EXTENT_FLAG_PINNED): where a write in flight puts [start, start+len) of the
// file before its file extent item exists. Unpinned (removed) by btrfs_finish_ordered_io. Extent maps
// of committed extents are not cached: btrfs_get_extent reads the file extent items every time.
struct extent_map {
  uint64_t start = 0, len = 0;
  uint64_t block_start = 0;  // disk bytenr of `start`
  bool filling = false;      // EXTENT_FLAG_FILLING: a write into a prealloc extent
  uint64_t end() const { return start + len; }
};

struct btrfs_inode {
  uint64_t root = 0;         // objectid of the subvolume tree holding it
  uint64_t ino = 0;
  uint64_t generation = 0;   // transid that created it
  uint64_t flags = 0;        // BTRFS_INODE_NODATACOW | BTRFS_INODE_NODATASUM | BTRFS_INODE_PREALLOC
  std::string name;          // its name in the subvolume's top directory (for messages)
  uint64_t address = 0;      // stands for the struct inode's address: allocation order (inode_lock.hpp)
  uint64_t parent = 256;     // directory holding it
  uint64_t dir_index = 0;    // its DIR_INDEX in the parent
  uint32_t nlink = 1;
  int i_count = 0;           // references: open operations and ordered extents (igrab / iput)
  uint64_t i_size = 0;       // i_size_read(): what user space sees
  uint64_t disk_i_size = 0;  // BTRFS_I(inode)->disk_i_size: what the inode item says
  uint64_t nbytes = 0;       // inode_get_bytes(): bytes of extents referenced

  address_space mapping;     // inode->i_mapping
  extent_io_tree io_tree;
  std::map<uint64_t, extent_map> extent_tree;  // pinned maps by start
  std::map<uint64_t, uint64_t> ordered_tree;   // ordered extents: file_offset -> id
  uint64_t delalloc_bytes = 0;
  bool on_delalloc_list = false;  // on root->delalloc_inodes
  int dio_count = 0;              // inode_dio_begin / inode_dio_end (i_dio_count)
  bool freeing = false;           // I_FREEING: btrfs_evict_inode started, igrab fails
  bool evicted = false;           // unlinked and evicted: no further IO

  // inode->i_rwsem (btrfs_inode_lock): exclusive for buffered writes, truncate, fallocate, fsync and
  // unlink; shared for direct IO overwrites inside i_size (BTRFS_ILOCK_SHARED, 6.1 btrfs_direct_write),
  // direct reads (btrfs_file_read_iter with IOCB_DIRECT) and fiemap's walk (extent_fiemap).
  sched::RwSemaphore i_rwsem{"inode->i_rwsem"};
  // BTRFS_I(inode)->i_mmap_lock (BTRFS_ILOCK_MMAP): clone and dedupe take it for writing after i_rwsem
  // (btrfs_double_mmap_lock); page faults, its readers, are not modelled.
  sched::RwSemaphore i_mmap_lock{"btrfs_inode->i_mmap_lock"};
  // Edits of the file extent items take several tree operations here; the kernel makes each one under
  // the leaf's write lock. This lock stands for that leaf lock so concurrent edits of one file's items
  // (finish_ordered_io of disjoint ranges) do not interleave. Lookups do not take it.
  sched::Mutex items_lock{"leaf lock (file extent items)"};
  sched::WaitList page_waiters;       // lock_page and wait_on_page_writeback sleepers
  sched::WaitList dio_waiters;        // inode_dio_wait sleepers

  bool nodatacow() const;
  bool nodatasum() const;
  /// Tells DPOR's footprints this inode's locks apart from other inodes' (sync primitives' set_instance).
  void set_lock_instances() {
    i_rwsem.set_instance(ino);
    i_mmap_lock.set_instance(ino);
    items_lock.set_instance(ino);
  }
};

}  // namespace fsrace::model
