// The DIR_INDEX sequence of a directory (6.1 inode.c: btrfs_set_inode_index, btrfs_set_inode_index_count,
// btrfs_get_dir_last_index, btrfs_opendir). A directory inode read from disk has index_cnt (u64)-1
// (btrfs_alloc_inode); the first user (a create, rename or link under the directory's inode lock, or
// opendir) loads it from the last DIR_INDEX key. The model's directories are the top directories of
// subvolumes: index_cnt is btrfs_root_data::dir_index and the inode lock is btrfs_root_data::dir_i_rwsem.
#pragma once
#include <cstdint>

namespace fsrace::model {

struct btrfs_fs_info;

constexpr uint64_t BTRFS_DIR_START_INDEX = 2;  // index 0 and 1 are "." and ".."
constexpr uint64_t BTRFS_INDEX_CNT_UNSET = ~0ull;  // (u64)-1: index_cnt not loaded yet

// btrfs_set_inode_index: the directory's next index into *index, index_cnt moved past it, loading it
// first when it is (u64)-1. Callers hold the directory's inode lock. 0 or a negative errno.
int btrfs_set_inode_index(btrfs_fs_info& fs_info, uint64_t root, uint64_t* index);

// btrfs_opendir -> btrfs_get_dir_last_index (6.1.192, since 9b378f6ad48c): the index of
// the directory's last entry (index_cnt - 1), the bound readdir stops at. With 8e7f82deb0c0 on it runs
// under the directory's inode lock; off, without it. 0 or a negative errno.
int btrfs_opendir(btrfs_fs_info& fs_info, uint64_t root, uint64_t* last_index);

// The directory's in-memory inode dropped (evicted while unused, or the state after a mount): the next
// btrfs_iget allocates it with index_cnt (u64)-1. Set-up only: nothing may hold the directory.
void btrfs_evict_dir_inode(btrfs_fs_info& fs_info, uint64_t root);

}  // namespace fsrace::model
