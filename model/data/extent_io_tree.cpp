#include "model/data/extent_io_tree.hpp"

#include <algorithm>

#include "model/data/btrfs_inode.hpp"
#include "model/data/wait.hpp"
#include "model/fs_info.hpp"
#include "model/items.hpp"

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
    tree.locked.add(start, end);
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
      if (failed_start > cur) tree.locked.add(cur, failed_start);
      cur = failed_start;
    }
    return false;
  });
  tree.locked.add(cur, end);
}

void unlock_extent(btrfs_inode& inode, uint64_t start, uint64_t end) {
  inode.io_tree.locked.remove(start, end);
  inode.io_tree.waiters.wake_all();
}

}  // namespace fsrace::model
