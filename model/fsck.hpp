// btrfs check: cross-checks every tree of the in-memory filesystem and reports each problem with the
// objects involved. Runs outside fibers (no scheduling points). Pending delayed refs of a running
// transaction count as applied, like btrfs_lookup_extent_info sees them. Then the committed state as
// read back from the devices (btrfs_check_committed).
#pragma once
#include <string>
#include <vector>

#include "model/fs_info.hpp"

namespace fsrace::model {

std::vector<std::string> btrfs_check(const btrfs_fs_info& fs_info);

/// The committed state as the devices hold it (what btrfs check reads after a crash): from the super
/// block's roots (the last committed root pointers), every tree block on every mirror (same block,
/// checksum, generation, level, key order), extent items against the references of the committed
/// trees with back reference identity (root, inode, offset), block group and dev items against extents,
/// fs trees (nlink, directory i_size, nbytes, DIR_ITEM / DIR_INDEX / INODE_REF agreement), root refs, and
/// every committed data checksum against the data on every mirror. Problems start with "on disk: ".
std::vector<std::string> btrfs_check_committed(const btrfs_fs_info& fs_info);

}  // namespace fsrace::model
