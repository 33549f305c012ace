// Inodes of subvolume trees (fs/btrfs/inode.c: btrfs_create, btrfs_unlink, btrfs_evict_inode,
// btrfs_update_inode) and the inode cache (btrfs_iget / iput). Files live in the top directory (256)
// of a subvolume; names are found through the dcache of that directory.
#pragma once
#include <cstdint>
#include <string_view>

#include "model/data/btrfs_inode.hpp"
#include "model/data/fs_data_state.hpp"
#include "scheduler/footprint.hpp"

namespace fsrace::model {

struct btrfs_fs_info;
struct btrfs_trans_handle;

constexpr uint64_t BTRFS_FIRST_FREE_INO = 257;  // first inode number after the top directory
constexpr uint64_t BTRFS_TOP_DIR_INO = 256;

// The inode of (root, ino), private to this execution (first access copies it from the prepared
// state); null if there is none. References stay valid for the whole execution: inodes are never
// removed from the cache, eviction only marks them.
btrfs_inode* btrfs_iget(btrfs_fs_info& fs_info, uint64_t root, uint64_t ino);
// Read-only view for checkers running outside fibers (no copy).
const btrfs_inode* btrfs_iget_const(const btrfs_fs_info& fs_info, uint64_t root, uint64_t ino);
// The data-path fields of a root (created empty on first use).
btrfs_root_data& btrfs_root_data_of(btrfs_fs_info& fs_info, uint64_t root);

// Name lookup in the top directory of subvolume `root`: the inode number, 0 if absent.
uint64_t btrfs_lookup_name(const btrfs_fs_info& fs_info, uint64_t root, std::string_view name);

// btrfs_create: a regular file `name` in subvolume `root`. nodatacow sets BTRFS_INODE_NODATACOW |
// BTRFS_INODE_NODATASUM (chattr +C on an empty file). 0, -EEXIST, -ENOENT (no such subvolume),
// -ENAMETOOLONG.
int btrfs_create(btrfs_fs_info& fs_info, uint64_t root, std::string_view name, bool nodatacow, uint64_t* ino_out,
                 std::string_view origin);
// btrfs_unlink: removes the name; the inode is evicted (pages dropped, ordered extents waited for,
// items and extents freed) when its last user lets go (iput). 0 or -ENOENT.
int btrfs_unlink(btrfs_fs_info& fs_info, uint64_t root, std::string_view name);

// rename(2) of `old_name` to `new_name` in the top directory of subvolume `root` (do_renameat2 ->
// vfs_rename -> btrfs_rename, no flags): the directory's i_rwsem (lock_rename of one directory), the
// names looked up under it, the source and an existing target locked by lock_two_nondirectories
// (lower address first), then one transaction: the new inode ref, the old name's DIR_ITEM and
// DIR_INDEX removed (__btrfs_unlink_inode), the target unlinked (btrfs_unlink_inode), the new name's
// DIR_ITEM and DIR_INDEX added (btrfs_add_link). A replaced target is evicted once nobody holds it.
// 0 (also when both names are the same file), -ENOENT (no source), -ENAMETOOLONG.
int btrfs_rename(btrfs_fs_info& fs_info, uint64_t root, std::string_view old_name, std::string_view new_name);

// An open file: igrab / iput. iput of an unlinked inode's last reference evicts it. igrab fails
// (false, no reference taken) once eviction has started (I_FREEING).
bool btrfs_igrab(btrfs_inode& inode);
void btrfs_iput(btrfs_fs_info& fs_info, btrfs_inode& inode);
// The footprint of a btrfs_iput of `inode` about to run, added to `claim`: everything (undeclared) when
// it evicts (the last reference of an unlinked inode: btrfs_evict_inode is not declared), else
// fp::inode_put (a commuting decrement while the inode has links).
sched::Footprint btrfs_iput_claim(const btrfs_inode& inode, const sched::Footprint& claim);

// btrfs_update_inode: writes size, nbytes and flags into the INODE_ITEM.
int btrfs_update_inode(btrfs_trans_handle& trans, btrfs_inode& inode);

// btrfs_setsize: truncate or extend a file (truncate(2)). 0 or negative errno.
int btrfs_setsize(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t new_size, std::string_view origin);

}  // namespace fsrace::model
