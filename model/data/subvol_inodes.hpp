// The data-path view of a subvolume read from its tree: the names of its top directory (the dentries
// btrfs_lookup would find) and its files' in-memory inodes (what btrfs_iget would read from their inode
// items). Snapshot creation and the import of an image use it; neither runs while a thread could race.
#pragma once
#include <cstdint>

namespace fsrace::model {

struct btrfs_fs_info;

// Fills fs_info.inode_cache and the root's dcache from the current tree of `root_id`.
void btrfs_load_subvol_inodes(btrfs_fs_info& fs_info, uint64_t root_id);

}  // namespace fsrace::model
