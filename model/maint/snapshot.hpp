// Subvolume and snapshot creation (fs/btrfs/ioctl.c create_subvol / create_snapshot,
// transaction.c create_pending_snapshot).
#pragma once
#include <cstdint>
#include <string_view>

namespace fsrace::model {

struct btrfs_fs_info;
struct btrfs_trans_handle;
struct btrfs_root;

// BTRFS_IOC_SUBVOL_CREATE: a new empty subvolume `name` in the top directory of subvolume
// `parent_root`, committed before returning. 0 and *objectid_out, or -ENOENT (no such parent),
// -EEXIST (name taken), -ENAMETOOLONG.
int btrfs_ioctl_subvol_create(btrfs_fs_info& fs_info, uint64_t parent_root, std::string_view name,
                              uint64_t* objectid_out);

// BTRFS_IOC_SNAP_CREATE_V2: flushes the source's delalloc and waits for its ordered extents
// (btrfs_start_delalloc_snapshot), then starts a transaction (TRANS_START) with the pending snapshot
// on its handle and commits it: the commit creates the snapshot in its critical section. The
// snapshot (read-only with BTRFS_SUBVOL_RDONLY) shares every tree block of the source below its
// root node; its entry `name` goes into the top directory of `parent_root`. The transaction and commit
// run under subvol_sem (read), where a deleted source (refs 0: its caller held it open) is refused
// (7081929ab257). 0 and *objectid_out, or -ENOENT (no such source or parent, a deleted source), -EEXIST,
// -ENAMETOOLONG.
int btrfs_ioctl_snap_create(btrfs_fs_info& fs_info, uint64_t source_root, uint64_t parent_root,
                            std::string_view name, bool readonly, uint64_t* objectid_out);

// The pending snapshot handed to the commit (struct btrfs_pending_snapshot).
struct btrfs_pending_snapshot {
  uint64_t source = 0, parent = 0;  // root objectids: what is snapshotted, whose top directory gets the entry
  std::string_view name;
  bool readonly = false;
  uint64_t objectid = 0;            // out: the new root
  int error = 0;                    // out
};
// create_pending_snapshot (called by the commit, once no other handle is open): the new root item (a copy of the source's, RDONLY if asked), the copy of
// the source's root node (btrfs_copy_root), source root_item.last_snapshot = transid, ROOT_REF /
// ROOT_BACKREF in the root tree and the dir entry in the parent's top directory.
void create_pending_snapshot(btrfs_trans_handle& trans, btrfs_pending_snapshot& pending);

// btrfs_find_free_objectid on the root tree: the next subvolume objectid.
uint64_t btrfs_find_free_root_objectid(btrfs_fs_info& fs_info);

}  // namespace fsrace::model
