// fs_info state of the extent buffer cache model: the btree inode's page cache, the radix tree of
// extent buffers, and their locks (fs/btrfs/extent_io.c, disk-io.c). btrfs_fs_info inherits it.
//
// fs_info.buffer_radix is the store of tree block contents the tree code and fsck read; this state models the
// life cycle of the in-memory extent buffers themselves (refs, TREE_REF, io_pages, page locks, page
// reclaim). It starts empty: every tree block is "not in memory" until an extent buffer path reads it.
// A tree block that is dirty in the running transaction always has an extent buffer in the kernel;
// find_extent_buffer materialises one from buffer_radix for such blocks (see eb_refs.cpp).
#pragma once
#include <cstdint>
#include <map>

#include "model/extent_io/extent_buffer.hpp"
#include "model/extent_io/page.hpp"
#include "model/extent_io/spinlock.hpp"
#include "scheduler/sync/blocking.hpp"

namespace fsrace::model {

struct btrfs_fs_eb_state {
  btrfs_fs_eb_state() = default;
  // Deep copy: pages and extent buffers are per-execution mutable objects.
  btrfs_fs_eb_state(const btrfs_fs_eb_state& other);
  btrfs_fs_eb_state& operator=(const btrfs_fs_eb_state&) = delete;

  // btree_inode->i_mapping->i_pages: the btree inode's page cache by page index.
  std::map<uint64_t, btree_page_ptr> btree_pages;
  // The kernel's fs_info->buffer_radix (named eb_tree here: buffer_radix is the content cache):
  // extent buffers by start >> PAGE_SHIFT, each holding the tree reference while TREE_REF is set.
  std::map<uint64_t, extent_buffer_ptr> eb_tree;
  // Every extent buffer allocated and not yet freed, by id (fs_info->allocated_ebs of debug kernels).
  std::map<uint64_t, extent_buffer_ptr> allocated_ebs;
  uint64_t next_eb_id = 1;
  uint64_t freed_ebs = 0;  // statistics for tests and invariants

  eb_spinlock buffer_lock{"fs_info->buffer_lock"};
  eb_spinlock btree_private_lock{"btree_inode->i_mapping->private_lock"};
  // alloc_extent_buffer retrying an insert that found a dying buffer in its slot (the kernel spins
  // on "goto again"); woken when a slot is emptied. Copies hold no waiters.
  sched::WaitList eb_tree_waiters;
};

}  // namespace fsrace::model
