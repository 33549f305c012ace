// btrfs check: cross-checks every tree of the in-memory filesystem and reports each problem with the
// objects involved. Runs outside fibers (no scheduling points). Pending delayed refs of a running
// transaction count as applied, like btrfs_lookup_extent_info sees them. Then the committed state as
// read back from the devices (btrfs_check_committed).
#pragma once
#include <string>
#include <vector>

#include "model/fs_info.hpp"

namespace fsrace::model {

/// What the fsck holds the filesystem to. `filesystem`: everything, the fs trees as files and
/// directories included. `trees`: the trees as B-trees with their extents, chunks, devices, mirrors and
/// checksums, without the fs trees' file semantics (nlink, directory entries and sizes, nbytes, root
/// refs) nor the fs tree items' meaning: for tests that put raw items into trees to test COW, search
/// and writeback, which no file operation of the model could produce.
enum class fsck_scope { filesystem, trees };

std::vector<std::string> btrfs_check(const btrfs_fs_info& fs_info, fsck_scope scope = fsck_scope::filesystem);

/// The committed state as the devices hold it (what btrfs check reads after a crash): from the super
/// block's roots (the last committed root pointers), every tree block on every mirror (same block,
/// checksum, generation, level, key order), extent items against the references of the committed
/// trees with back reference identity (root, inode, offset), block group and dev items against extents,
/// fs trees (nlink, directory i_size, nbytes, DIR_ITEM / DIR_INDEX / INODE_REF agreement), root refs, and
/// every committed data checksum against the data on every mirror. Problems start with "on disk: ".
std::vector<std::string> btrfs_check_committed(const btrfs_fs_info& fs_info,
                                               fsck_scope scope = fsck_scope::filesystem);

}  // namespace fsrace::model
