#pragma once
// The model's objects for DPOR footprints (scheduler/footprint.hpp), one convention for every file that
// declares a FootprintScope: which ObjectKind and which number name each kind of model state.
#include <cstdint>

#include "scheduler/footprint.hpp"

namespace fsrace::model::fp {

using sched::ObjectKind;
using sched::object_id;

/// An inode's in-memory state (page cache, io tree, extent maps, ordered extents of the inode, i_size,
/// runtime flags, delalloc counters, dio_count), by inode number.
inline uint64_t inode(uint64_t ino) { return object_id(ObjectKind::Inode, ino); }
/// A btree and its btrfs_root (nodes, leaves, cached extent buffers of its blocks, node and commit_root
/// pointers, root item), by root objectid.
inline uint64_t tree(uint64_t root_objectid) { return object_id(ObjectKind::Tree, root_objectid); }
/// A block group's in-memory state (counters, ro, flags, free space, its links in lists), by start.
inline uint64_t block_group(uint64_t start) { return object_id(ObjectKind::BlockGroup, start); }
/// A device's state (size, bytes used, flags, replace target/source roles), by devid.
inline uint64_t device(uint64_t devid) { return object_id(ObjectKind::Device, devid); }
/// A device's contents in the MiB holding `physical`.
inline uint64_t device_data(uint64_t devid, uint64_t physical) {
  return object_id(ObjectKind::DeviceData, (devid << 44) ^ (physical >> 20));
}
/// Adds the contents of [physical, physical + len) of a device: each MiB it spans, or every device's
/// contents when it spans more than 16 MiB (a claim may always be wider).
inline sched::Footprint& touch_device_data(sched::Footprint& f, uint64_t devid, uint64_t physical, uint64_t len,
                                           bool write) {
  const uint64_t first = physical >> 20, last = (physical + (len ? len - 1 : 0)) >> 20;
  if (last - first >= 16) return f.touch_kind(ObjectKind::DeviceData, write);
  for (uint64_t mib = first; mib <= last; ++mib) f.touch(device_data(devid, mib << 20), write);
  return f;
}

/// fs_info's kernel log (btrfs_warn and friends): appended by many paths, read by send, scrub and the
/// checkers. Every scope whose code may log claims it written.
inline uint64_t kernel_log() { return object_id(ObjectKind::Other, "fs_info->dmesg"); }

inline uint64_t transaction() { return object_id(ObjectKind::Transaction); }
inline uint64_t delayed_refs() { return object_id(ObjectKind::DelayedRefs); }
inline uint64_t space_info() { return object_id(ObjectKind::SpaceInfo); }
inline uint64_t chunk_map() { return object_id(ObjectKind::ChunkMap); }
inline uint64_t relocation() { return object_id(ObjectKind::Relocation); }
inline uint64_t balance() { return object_id(ObjectKind::Balance); }
inline uint64_t scrub() { return object_id(ObjectKind::Scrub); }
inline uint64_t replace() { return object_id(ObjectKind::Replace); }
inline uint64_t unused_bgs() { return object_id(ObjectKind::UnusedBgs); }
inline uint64_t oracle() { return object_id(ObjectKind::Oracle); }
inline uint64_t send() { return object_id(ObjectKind::Send); }

}  // namespace fsrace::model::fp
