// DPOR claims of the extent buffer code (scheduler/footprint.hpp, model/footprints.hpp): the objects a
// buffer and a page of the btree inode stand for. Not for callers outside model/extent_io.
//
// A buffer is fp::extent_buffer(start) (its refs, bflags, io_pages, content, refs_lock, eb_tree slot); its
// start, len and pages[] are set before it is published (alloc_extent_buffer holds its pages locked until
// it is in eb_tree; materialize_dirty_extent_buffer builds it in one step) and never change: reading them
// claims nothing. A page is fp::btree_page(index) (its struct, lock and waiters, btree_pages slot), always
// with fp::btree_inode() read (whose writers cover every page). The allocator (next_eb_id, freed_ebs,
// allocated_ebs, each buffer's freed flag) and eb_tree_waiters are fp::btree_inode(): written where they
// change (allocation, free_extent_buffer_memory, release's wake-up), read where looked up. The spinlocks (fs_info->buffer_lock, the btree inode's private_lock,
// eb->refs_lock) add their own objects themselves (eb_spinlock: touch_lock).
#pragma once
#include <cstdint>
#include <string>
#include <utility>

#include "model/extent_io/extent_buffer.hpp"
#include "model/extent_io/page.hpp"
#include "model/footprints.hpp"
#include "model/fs_info.hpp"

namespace fsrace::model::ebfp {

// A page, read or written.
inline sched::Footprint& page(sched::Footprint& f, uint64_t index, bool write) {
  return f.touch(fp::btree_page(index), write).reads_from(fp::btree_inode());
}
// The pages of the buffer starting at `start` (nodesize bytes).
inline sched::Footprint& pages_of(sched::Footprint& f, const btrfs_fs_info& fs, uint64_t start, bool write) {
  const uint64_t first = start >> PAGE_SHIFT, last = (start + fs.nodesize - 1) >> PAGE_SHIFT;
  for (uint64_t i = first; i <= last; ++i) page(f, i, write);  // bounded: nodesize / PAGE_SIZE <= 16
  return f;
}
// Every buffer that may own page `index` (page private, allocated_ebs looked up by its id): the starts
// (sectorsize == PAGE_SIZE aligned, alloc_extent_buffer's check) whose nodesize bytes cover the page.
inline sched::Footprint& buffers_covering(sched::Footprint& f, const btrfs_fs_info& fs, uint64_t index, bool write) {
  const uint64_t byte = index << PAGE_SHIFT;
  const uint64_t lowest = byte + PAGE_SIZE > fs.nodesize ? byte + PAGE_SIZE - fs.nodesize : 0;
  for (uint64_t s = lowest; s <= byte; s += PAGE_SIZE) f.touch(fp::extent_buffer(s), write);  // <= 16
  return f;
}
// A buffer (by start) and its pages.
inline sched::Footprint buffer_and_pages(const btrfs_fs_info& fs, uint64_t start, bool write) {
  sched::Footprint f = sched::declared().touch(fp::extent_buffer(start), write);
  return pages_of(f, fs, start, write);
}
// A buffer alone.
inline sched::Footprint buffer(uint64_t start, bool write) { return sched::declared().touch(fp::extent_buffer(start), write); }
// A page and every buffer that may own it.
inline sched::Footprint page_and_owners(const btrfs_fs_info& fs, uint64_t index, bool page_write, bool owners_write) {
  sched::Footprint f = sched::declared();
  page(f, index, page_write);
  return buffers_covering(f, fs, index, owners_write);
}
// The allocator's books, read (allocated_ebs looked up, a buffer's freed flag).
inline sched::Footprint allocator_read() { return sched::declared().reads_from(fp::btree_inode()); }
// Freeing a buffer (release_extent_buffer's last reference, discard of a new one): the buffer and its eb_tree
// slot, its pages (private detached, references put), the allocator's books and eb_tree_waiters.
inline sched::Footprint freeing(const btrfs_fs_info& fs, const extent_buffer& eb) {
  sched::Footprint f = sched::declared().writes_to(fp::extent_buffer(eb.start)).writes_to(fp::btree_inode());
  for (uint64_t index : eb.pages) page(f, index, true);
  return pages_of(f, fs, eb.start, true);
}

// fs_info.log from the extent buffer code: the kernel log, written, in a scope of its own (nothing else).
inline void log(btrfs_fs_info& fs, std::string line) {
  sched::FootprintScope scope(sched::declared().writes_to(fp::kernel_log()));
  fs.log(std::move(line));
}

}  // namespace fsrace::model::ebfp
