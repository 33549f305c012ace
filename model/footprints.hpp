#pragma once
// The model's objects for DPOR footprints (scheduler/footprint.hpp), one convention for every file that
// declares a FootprintScope: which ObjectKind and which number name each kind of model state.
#include <cstdint>

#include "scheduler/footprint.hpp"

namespace fsrace::model::fp {

using sched::ObjectKind;
using sched::object_id;

/// The parts of an inode's in-memory state, each its own object. A claim that does not name the parts
/// it touches claims them all (whole_inode).
enum class inode_part : uint8_t {
  core,     // i_size, disk_i_size, flags, generation, nbytes, delalloc counters, name and dir_index: all
            // not below
  life,     // the inode cache's entry (what btrfs_iget finds: btrfs_iget's copy of it), nlink, freeing,
            // evicted: what decides whether a reference can be taken and whether the last iput evicts
  iref,     // i_count: igrab's increment and iput's decrement are commuting updates (Footprint::updates)
            // while nlink > 0 (no iput evicts then: the count's value decides nothing); see iget_claim
  mapping,  // the page cache (mapping.pages), the io tree, the extent map tree
  ordered,  // the inode's ordered tree (its ordered extents by file offset)
  dio,      // dio_count, and a direct IO's status shared with its end_io
};
inline constexpr unsigned kInodeParts = 6;

namespace detail {
inline constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;  // object_id's multiplier
constexpr uint64_t golden_inverse() {                        // kGolden * x == 1 (mod 2^64): Newton
  uint64_t x = kGolden;
  for (int i = 0; i < 6; ++i) x *= 2 - kGolden * x;
  return x;
}
static_assert(kGolden * golden_inverse() == 1);
inline constexpr unsigned kInodeGroups = 4;
/// The id of the Inode kind's bit `bit` (0 .. width - 1): object_id of the number whose product with
/// kGolden is the least fraction of 2^64 that object_id maps to that bit (ceil(bit * 2^64 / width)).
constexpr uint64_t inode_bit(unsigned bit) {
  constexpr unsigned width = sched::kind_bits(ObjectKind::Inode).width;
  static_assert(width == kInodeGroups * kInodeParts, "inode_bit: the Inode kind's width is groups times parts");
  const auto fraction = static_cast<uint64_t>(((static_cast<unsigned __int128>(bit) << 64) + width - 1) / width);
  return object_id(ObjectKind::Inode, fraction * golden_inverse());
}
static_assert(inode_bit(0) == sched::kind_bits(ObjectKind::Inode).base &&
              inode_bit(1) == sched::kind_bits(ObjectKind::Inode).base + 1u &&
              inode_bit(kInodeGroups * kInodeParts - 1) ==
                  sched::kind_bits(ObjectKind::Inode).base + kInodeGroups * kInodeParts - 1u);
}  // namespace detail

/// One part of the inode `ino` of subvolume (or other tree) `root`. The Inode kind's bits hold
/// kInodeGroups groups of kInodeParts: an inode hashes to a group (inodes sharing one are merely treated
/// as one), its parts are the group's bits.
constexpr uint64_t inode(uint64_t root, uint64_t ino, inode_part part) {
  const uint64_t group = (((root * 0x100000001b3ULL) ^ ino) * detail::kGolden) >> 62;
  static_assert(detail::kInodeGroups == 4, "inode: the group is the hash's top two bits");
  return detail::inode_bit(static_cast<unsigned>(group * kInodeParts + static_cast<unsigned>(part)));
}
/// Adds every part of an inode (its whole in-memory state), written or (write = false) read.
inline sched::Footprint& whole_inode(sched::Footprint& f, uint64_t root, uint64_t ino, bool write = true) {
  for (unsigned p = 0; p < kInodeParts; ++p) f.touch(inode(root, ino, static_cast<inode_part>(p)), write);
  return f;
}
inline sched::Footprint whole_inode(sched::Footprint&& f, uint64_t root, uint64_t ino, bool write = true) {
  whole_inode(f, root, ino, write);
  return f;
}
/// Every part of an inode but its reference count written (write = false: read), and its life read: the
/// claim of code that holds a reference and neither takes nor drops one, nor links, unlinks or evicts
/// the inode (a buffered write's or writeback's fast paths, a direct IO's own code). Code that may take
/// or drop a reference (igrab, btrfs_add_ordered_extent, iput) claims iref too: inode_grab, inode_put,
/// whole_inode.
inline sched::Footprint held_inode(sched::Footprint f, uint64_t root, uint64_t ino, bool write = true) {
  for (unsigned p = 0; p < kInodeParts; ++p) {
    const auto part = static_cast<inode_part>(p);
    if (part != inode_part::iref) f.touch(inode(root, ino, part), write && part != inode_part::life);
  }
  return f;
}
/// btrfs_iget finding the inode in the cache and btrfs_igrab taking a reference: the cache entry, nlink
/// and freeing read (life), i_count incremented (iref, a commuting update: an increment never evicts).
inline sched::Footprint inode_grab(sched::Footprint f, uint64_t root, uint64_t ino) {
  return f.reads_from(inode(root, ino, inode_part::life)).updates_to(inode(root, ino, inode_part::iref));
}
/// btrfs_iput that does not evict (one that does runs undeclared: btrfs_iput_claim, model/data/inode.hpp):
/// nlink and freeing read (life); i_count decremented. While the inode has links (`linked`: nlink > 0
/// when the iput runs) no order of increments and decrements evicts, so the decrement is a commuting
/// update; a step that changes nlink writes life, on which this one depends. Unlinked, whether this
/// decrement is the last one decides the eviction: a write of iref.
inline sched::Footprint inode_put(sched::Footprint f, uint64_t root, uint64_t ino, bool linked) {
  f.reads_from(inode(root, ino, inode_part::life));
  return linked ? f.updates_to(inode(root, ino, inode_part::iref)) : f.writes_to(inode(root, ino, inode_part::iref));
}
/// The btree inode (BTRFS_BTREE_INODE_OBJECTID: the extent buffers' pages; not a btrfs_inode of the
/// model's inode cache) as a whole: every page (a claim that does not name pages writes it), the
/// extent buffer allocator (fs_info.next_eb_id, freed_ebs, allocated_ebs and each buffer's freed flag)
/// and fs_info.eb_tree_waiters. Claims naming single pages (btree_page) read it.
constexpr uint64_t btree_inode() { return object_id(ObjectKind::Other, "btree_inode"); }
/// An extent buffer by its start (logical bytenr): every struct extent_buffer of that start (refs, bflags,
/// io_pages, read_mirror, content, refs_lock, writeback waiters) and its slot in the buffer radix tree
/// (fs_info.eb_tree). Not its start, len and pages[] (set before the buffer is published, then never
/// changed), nor its entry in fs_info.allocated_ebs and its freed flag (the allocator's: btree_inode()).
/// The Bytenr kind, so that the tree code's claims (touch_kind(Bytenr)) cover it.
constexpr uint64_t extent_buffer(uint64_t start) { return object_id(ObjectKind::Bytenr, start); }
/// One page of the btree inode's page cache by its index: the struct btree_page (PG_locked and its
/// waiters, uptodate, dirty, writeback, error, mapping, private, refcount) and its slot in
/// fs_info.btree_pages. A claim naming a page also READS btree_inode(), so that a claim that writes
/// btree_inode() (the tree code's, which does not name pages) covers every page.
constexpr uint64_t btree_page(uint64_t index) { return object_id(ObjectKind::Other, index * 0x100000001b3ULL + 0x62747067); }
/// The data reloc inode: in the model only the pages relocation keeps in reloc_control (rc.data_extents,
/// rc.data_inode its number; not a btrfs_inode of the inode cache): one object, claimed by relocation.
constexpr uint64_t data_reloc_inode() { return object_id(ObjectKind::Other, "data_reloc_inode"); }

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

/// Everything but inodes' in-memory state, the name lookup, the oracle and the primitives' own objects,
/// written: the claim of code that modifies trees and is not audited piece by piece (relocation's
/// reloc_fp::wide, the commit's write-out), allocates chunks (btrfs_chunk_alloc, btrfs_create_chunk,
/// btrfs_make_block_group, check_system_chunk), inserts new block groups' items (insert_pending_chunk)
/// or commits, none of which touches an inode, looks up or changes a name (dcache: only create, unlink,
/// rename, snapshot creation and mount do) or touches the oracle. Primitives record their own objects at
/// every operation and state read (the reasoning of reloc_fp::wide, model/maint/relocation_internal.hpp).
inline sched::Footprint all_but_inodes() {
  sched::Footprint f = sched::declared();
  f.writes = sched::kAllObjects & ~sched::kind_mask(ObjectKind::Inode) & ~sched::kind_mask(ObjectKind::Oracle) &
             ~sched::kind_mask(ObjectKind::Lock) & ~sched::object_bit(dcache());
  return f;
}

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
