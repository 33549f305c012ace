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
constexpr uint64_t inode(uint64_t ino) { return object_id(ObjectKind::Inode, ino); }
/// A btree and its btrfs_root (nodes, leaves, cached extent buffers of its blocks, node and commit_root
/// pointers, root item), by root objectid.
constexpr uint64_t tree(uint64_t root_objectid) { return object_id(ObjectKind::Tree, root_objectid); }
/// A block group's in-memory state (counters, ro, flags, free space, its links in lists), by start.
constexpr uint64_t block_group(uint64_t start) { return object_id(ObjectKind::BlockGroup, start); }
/// A device's state (size, bytes used, flags, replace target/source roles), by devid.
constexpr uint64_t device(uint64_t devid) { return object_id(ObjectKind::Device, devid); }
/// A device's contents in the MiB holding `physical`.
constexpr uint64_t device_data(uint64_t devid, uint64_t physical) {
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
constexpr uint64_t kernel_log() { return object_id(ObjectKind::Other, "fs_info->dmesg"); }

/// fs_info.ordered_extents (every inode's ordered extents, their ids from next_ordered_id), each root's
/// ordered list and count and fs_info.ordered_roots.
constexpr uint64_t ordered_extents() { return object_id(ObjectKind::Other, "ordered_extents"); }
/// The subvolumes' name lookup (btrfs_lookup_name: the dentry cache).
constexpr uint64_t dcache() { return object_id(ObjectKind::Other, "dcache"); }

constexpr uint64_t transaction() { return object_id(ObjectKind::Transaction); }
constexpr uint64_t delayed_refs() { return object_id(ObjectKind::DelayedRefs); }
constexpr uint64_t space_info() { return object_id(ObjectKind::SpaceInfo); }
constexpr uint64_t chunk_map() { return object_id(ObjectKind::ChunkMap); }
constexpr uint64_t relocation() { return object_id(ObjectKind::Relocation); }
constexpr uint64_t balance() { return object_id(ObjectKind::Balance); }
constexpr uint64_t scrub() { return object_id(ObjectKind::Scrub); }
constexpr uint64_t replace() { return object_id(ObjectKind::Replace); }
constexpr uint64_t unused_bgs() { return object_id(ObjectKind::UnusedBgs); }
constexpr uint64_t oracle() { return object_id(ObjectKind::Oracle); }
constexpr uint64_t send() { return object_id(ObjectKind::Send); }

}  // namespace fsrace::model::fp
