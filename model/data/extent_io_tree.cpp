#include "model/data/extent_io_tree.hpp"

#include "model/data/btrfs_inode.hpp"
#include "model/data/wait.hpp"
#include "model/items.hpp"

namespace fsrace::model {

bool btrfs_inode::nodatacow() const { return flags & BTRFS_INODE_NODATACOW; }
bool btrfs_inode::nodatasum() const { return flags & BTRFS_INODE_NODATASUM; }

void lock_extent(btrfs_inode& inode, uint64_t start, uint64_t end) {
  wait_until(inode.io_tree.waiters, sched::L("lock_extent_bits(ino {} off {})", inode.ino, start),
             [&] { return !inode.io_tree.locked.intersects(start, end); });
  inode.io_tree.locked.add(start, end);
}

void unlock_extent(btrfs_inode& inode, uint64_t start, uint64_t end) {
  inode.io_tree.locked.remove(start, end);
  inode.io_tree.waiters.wake_all();
}

}  // namespace fsrace::model
