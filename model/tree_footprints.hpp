#pragma once
// DPOR footprint claims of the tree code (scheduler/footprint.hpp, model/footprints.hpp), used by the
// scopes of ctree.cpp and delayed_ref.cpp and available to callers whose steps run the tree code.
//
// A block's content (fs_info.buffer_radix) and its extent buffer belong to the Tree of whatever owns the
// bytenr at the moment: a freed block reused by another tree changes hands, so the claims name every
// Tree (and every Bytenr), never one root.
#include "scheduler/footprint.hpp"

namespace fsrace::model {

// tree_read_claim: reading blocks that are cached (buffer_radix, root node and commit root pointers).
sched::Footprint tree_read_claim();
// tree_fill_claim: reading a block that is not cached: the mirrors through the chunk map (btrfs_map_block:
// chunk map, devices, dev_replace) and the block put into the cache; each mirror's contents are claimed
// where they are read (read_tree_block: the MiB of the device it reads), not here.
sched::Footprint tree_fill_claim();
// tree_write_claim: a COW modification of a tree (modify_tree): the tree's blocks (a block not cached is
// read by read_tree_block in its own scope: no device's contents here), new blocks from
// find_free_extent (block groups' free space and counters, space info; a chunk allocation there opens an
// undeclared scope), their extent buffers and btree inode pages (btrfs_init_new_buffer,
// btrfs_clean_tree_block, free_extent_buffer), the transaction's dirty tree blocks, delayed refs of
// COW (btrfs_inc_ref, btrfs_free_tree_block), the extent tree read by btrfs_lookup_extent_info.
sched::Footprint tree_write_claim();

}  // namespace fsrace::model
