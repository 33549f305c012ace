// Footprint objects and claims of the data IO path (direct IO, bios, ordered extents) that
// model/footprints.hpp does not name (scheduler/footprint.hpp).
#pragma once
#include <cstdint>

#include "model/footprints.hpp"

namespace fsrace::model::fp {

/// fs_info.dmesg, the kernel log (fs_info.log()): appended to by error paths; some ops read it.
inline uint64_t dmesg() { return kernel_log(); }
/// What btrfs_map_block reads and writes: the chunk mapping, the device list and devices (missing,
/// handles), dev_replace's state and its rwsem (read without the primitive when uncontended), and an
/// "unable to find logical" line in the log.
inline sched::Footprint& claim_map_block(sched::Footprint& f) {
  f.reads_from(chunk_map()).touch_kind(ObjectKind::Device, false).reads_from(replace());
  f.reads_from(sched::lock_id("dev_replace->rwsem"));
  return f.writes_to(dmesg());
}
/// A read of a btree (btrfs_search_slot, btrfs_for_each_item, btrfs_lookup_item without a commit root):
/// its blocks. A block missing from fs_info.buffer_radix is read from a device by read_tree_block in its
/// own scopes (ctree.cpp: the mapping, the MiB of the device it reads, an error line in the log), so the
/// caller's claim does not name them.
inline sched::Footprint& claim_tree_read(sched::Footprint& f, uint64_t root_objectid) {
  return f.reads_from(tree(root_objectid));
}

}  // namespace fsrace::model::fp
