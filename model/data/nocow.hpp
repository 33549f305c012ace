// Deciding whether a write may go in place (inode.c can_nocow_extent, file.c btrfs_check_nocow_lock)
// and the root's snapshot_lock that keeps snapshot creation and such writes apart (locking.c drew lock).
#pragma once
#include <cstdint>

namespace fsrace::model {

struct btrfs_fs_info;
struct btrfs_inode;
struct btrfs_drew_lock;

// can_nocow_extent: 1 if [offset, offset + *len) can be overwritten in place (len is trimmed to the
// extent), 0 if not, -EAGAIN for a prealloc range (of a datacow inode) with pending delalloc.
int can_nocow_extent(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t offset, uint64_t* len);

// btrfs_check_nocow_lock: for a NODATACOW or PREALLOC inode, takes the root's snapshot_lock for writing
// (try: -EAGAIN while a snapshot is being created), waits for ordered extents in the range with the range
// locked (btrfs_lock_and_flush_ordered_range) and asks can_nocow_extent. > 0: nocow possible, *write_bytes
// trimmed, the snapshot_lock stays held until btrfs_check_nocow_unlock; 0: no; < 0: error.
int btrfs_check_nocow_lock(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t pos, uint64_t* write_bytes);
void btrfs_check_nocow_unlock(btrfs_fs_info& fs_info, btrfs_inode& inode);

// The drew lock's four operations (6.1 locking.c), with scheduling points where they may sleep.
bool btrfs_drew_try_write_lock(btrfs_drew_lock& lock);
void btrfs_drew_write_unlock(btrfs_drew_lock& lock);
void btrfs_drew_read_lock(btrfs_drew_lock& lock);
void btrfs_drew_read_unlock(btrfs_drew_lock& lock);

}  // namespace fsrace::model
