// Locking two inodes in the order of their struct inode's address (fs/inode.c
// lock_two_nondirectories, and btrfs's own orderings by address in reflink.c). The model has no
// addresses: btrfs_inode::address is an allocation sequence number, given when the in-memory inode is
// made (btrfs_create, a snapshot's inodes), so the order is fixed for an execution and the same on
// every replay. The kernel's order is whatever the slab allocator handed out; the model's is one of
// the orders the kernel can have (each race needs two inodes in some order, which a scenario picks by
// creating its files in that order).
#pragma once

#include "model/data/btrfs_inode.hpp"

namespace fsrace::model {

// inode1 < inode2 as the kernel compares the pointers.
inline bool inode_address_less(const btrfs_inode& a, const btrfs_inode& b) { return a.address < b.address; }

// lock_two_nondirectories: the lower address first, the second with inode_lock_nested(I_MUTEX_NONDIR2);
// one lock when both are the same inode; `b` may be null (rename without a target).
void lock_two_nondirectories(btrfs_inode& a, btrfs_inode* b);
void unlock_two_nondirectories(btrfs_inode& a, btrfs_inode* b);

}  // namespace fsrace::model
