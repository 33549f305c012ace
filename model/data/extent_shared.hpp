// Whether a data extent is shared (backref.c btrfs_is_data_extent_shared, fiemap's FIEMAP_EXTENT_SHARED):
// referenced from another root, another inode or another offset of this inode, or, for an extent not
// newer than the root's last snapshot, held through a tree block a snapshot shares.
#pragma once
#include <cstdint>

namespace fsrace::model {

struct btrfs_fs_info;
struct btrfs_inode;
struct btrfs_transaction;

// The decision find_parent_nodes reaches at one moment, from reference queries only (no scheduling
// point): the extent's references (extent tree plus the delayed refs of cur_trans, null: none) against
// the inode's own file extent items pointing at it; when those are all the references and extent_gen <=
// last_snapshot, any block on the path to one of those items with more than one reference (the model
// counts a reference per referencing block or root item, so that is a block a snapshot still shares).
bool data_extent_shared_now(btrfs_fs_info& fs_info, btrfs_transaction* cur_trans, const btrfs_inode& inode,
                            uint64_t bytenr, uint64_t extent_gen);

// btrfs_is_data_extent_shared as 6.1: btrfs_join_transaction_nostart (its delayed refs counted), or, when
// no transaction runs or it is past COMMIT_START and finished meanwhile, commit_root_sem for reading;
// then data_extent_shared_now. 1 shared, 0 not.
int btrfs_is_data_extent_shared(btrfs_fs_info& fs_info, const btrfs_inode& inode, uint64_t bytenr,
                                uint64_t extent_gen);

}  // namespace fsrace::model
