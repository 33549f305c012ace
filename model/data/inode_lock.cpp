#include "model/data/inode_lock.hpp"

namespace fsrace::model {

void lock_two_nondirectories(btrfs_inode& a, btrfs_inode* b) {
  btrfs_inode* first = &a;
  btrfs_inode* second = b;
  if (second && inode_address_less(*second, *first)) std::swap(first, second);
  first->i_rwsem.down_write();
  if (second && second != first) second->i_rwsem.down_write();  // inode_lock_nested(I_MUTEX_NONDIR2)
}

void unlock_two_nondirectories(btrfs_inode& a, btrfs_inode* b) {
  a.i_rwsem.up_write();
  if (b && b != &a) b->i_rwsem.up_write();
}

}  // namespace fsrace::model
