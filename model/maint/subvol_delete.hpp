// Subvolume deletion, the ioctl part (ioctl.c btrfs_ioctl_snap_destroy, inode.c btrfs_delete_subvolume,
// may_destroy_subvol, btrfs_unlink_subvol). What the cleaner does later with the dead root
// (btrfs_drop_snapshot) is not modelled: the deleted root stays in fs_info.roots with refs 0.
#pragma once
#include <cstdint>
#include <string_view>

namespace fsrace::model {

struct btrfs_fs_info;

// BTRFS_IOC_SNAP_DESTROY(_V2) of the entry `name` in the top directory of subvolume `parent_root`, as
// root: the directory's i_rwsem, lookup of the entry, the subvolume's own i_rwsem (its top directory),
// then btrfs_delete_subvolume. 0, or -ENOENT (no such entry or directory), -ENOTDIR (a file), -EINVAL
// (a directory that is not a subvolume root, or the placeholder of a subvolume a snapshot did not
// take along), -EPERM (a send uses it), -ENOTEMPTY (it holds subvolumes).
int btrfs_ioctl_snap_destroy(btrfs_fs_info& fs_info, uint64_t parent_root, std::string_view name);

// btrfs_delete_subvolume of root `dest` named `name` in the top directory of `parent_root` (the
// caller holds both directories' i_rwsem): under subvol_sem (write) and with BTRFS_ROOT_SUBVOL_DEAD
// set, the entry, ROOT_REF and ROOT_BACKREF go, root_item.refs becomes 0 and an orphan item for the
// root goes into the root tree, in a transaction that is ended, not committed. Fix 3324d0547861 decides
// whether subvol_sem is taken before the flag is set (6.1) or after (before the fix).
int btrfs_delete_subvolume(btrfs_fs_info& fs_info, uint64_t parent_root, uint64_t dest, std::string_view name);

}  // namespace fsrace::model
