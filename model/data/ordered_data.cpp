#include "model/data/ordered_data.hpp"

#include <algorithm>
#include <cerrno>

#include "model/data/dio_footprints.hpp"
#include "model/data/extent_io_tree.hpp"
#include "model/data/inode.hpp"
#include "model/data/wait.hpp"
#include "model/data/writeback.hpp"
#include "model/fs_info.hpp"
#include "scheduler/finding.hpp"

namespace fsrace::model {
namespace {

uint64_t add_ordered(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t file_offset, uint64_t start, uint64_t len,
                     uint64_t disk_len, uint32_t flags) {
  FSRACE_MODEL_CHECK(len > 0 && !inode.evicted, "ordered extent of {} bytes on ino {}", len, inode.ino);
  const uint64_t id = fs_info.next_ordered_id++;
  auto& oe = fs_info.ordered_extents[id];
  oe.id = id;
  oe.root = inode.root;
  oe.ino = inode.ino;
  oe.file_offset = file_offset;
  oe.start = start;
  oe.len = len;
  oe.disk_len = disk_len;
  oe.bytes_left = len;
  oe.flags = flags;
  oe.refs = 1;  // the tree's
  // tree_insert: ordered extents of one inode never overlap (the range was locked and had no other).
  auto next = inode.ordered_tree.lower_bound(file_offset);
  FSRACE_BUG_ON(next != inode.ordered_tree.end() && next->first < file_offset + len,
                "ordered extent ino {} off {} overlaps one at {}", inode.ino, file_offset, next->first);
  if (next != inode.ordered_tree.begin()) {
    const auto& prev = fs_info.ordered_extents.at(std::prev(next)->second);
    FSRACE_BUG_ON(prev.end() > file_offset, "ordered extent ino {} off {} overlaps one at {}", inode.ino, file_offset,
                  prev.file_offset);
  }
  inode.ordered_tree.emplace(file_offset, id);
  FSRACE_MODEL_CHECK(btrfs_igrab(inode), "ordered extent for ino {} under eviction", inode.ino);  // entry->inode
  auto& rd = btrfs_root_data_of(fs_info, inode.root);
  rd.ordered_extents.push_back(id);
  if (rd.nr_ordered_extents++ == 0) fs_info.ordered_roots.push_back(inode.root);
  return id;
}

}  // namespace

uint64_t btrfs_add_ordered_extent(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t file_offset, uint64_t start,
                                  uint64_t len, uint64_t disk_len, uint32_t type) {
  // add_ordered: the ordered extents (next_ordered_id, the map, the root's list and count, ordered_roots;
  // the root's btrfs_root_data exists: the inode is in it) and the inode (ordered tree, igrab).
  sched::FootprintScope scope(fp::whole_inode(sched::declared().writes_to(fp::ordered_extents()), inode.root, inode.ino));
  sched::point(sched::L("btrfs_add_ordered_extent(ino {} off {})", inode.ino, file_offset));
  return add_ordered(fs_info, inode, file_offset, start, len, disk_len, type);
}

uint64_t btrfs_add_ordered_extent_dio(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t file_offset,
                                      uint64_t start, uint64_t len, uint64_t disk_len, uint32_t type) {
  // As btrfs_add_ordered_extent.
  sched::FootprintScope scope(fp::whole_inode(sched::declared().writes_to(fp::ordered_extents()), inode.root, inode.ino));
  sched::point(sched::L("btrfs_add_ordered_extent_dio(ino {} off {})", inode.ino, file_offset));
  return add_ordered(fs_info, inode, file_offset, start, len, disk_len, type | BTRFS_ORDERED_DIRECT);
}

btrfs_ordered_extent* btrfs_ordered_extent_by_id(btrfs_fs_info& fs_info, uint64_t id) {
  auto it = fs_info.ordered_extents.find(id);
  return it == fs_info.ordered_extents.end() ? nullptr : &it->second;
}

uint64_t btrfs_lookup_ordered_range(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end) {
  auto it = inode.ordered_tree.upper_bound(start);
  if (it != inode.ordered_tree.begin()) {
    auto prev = std::prev(it);
    if (fs_info.ordered_extents.at(prev->second).end() > start) it = prev;
  }
  if (it == inode.ordered_tree.end() || it->first >= end) return 0;
  fs_info.ordered_extents.at(it->second).refs++;
  return it->second;
}

uint64_t btrfs_ordered_at(btrfs_fs_info& fs_info, const btrfs_inode& inode, uint64_t offset) {
  auto it = inode.ordered_tree.upper_bound(offset);
  if (it == inode.ordered_tree.begin()) return 0;
  --it;
  return fs_info.ordered_extents.at(it->second).end() > offset ? it->second : 0;
}

void btrfs_put_ordered_extent(btrfs_fs_info& fs_info, uint64_t id) {
  auto it = fs_info.ordered_extents.find(id);
  FSRACE_MODEL_CHECK(it != fs_info.ordered_extents.end(), "put of freed ordered extent {}", id);
  if (--it->second.refs == 0) {
    FSRACE_ASSERT(it->second.test(BTRFS_ORDERED_COMPLETE), "ordered extent {} freed before completion", id);
    fs_info.ordered_extents.erase(it);
  }
}

bool btrfs_dec_test_ordered_pending(btrfs_fs_info& fs_info, uint64_t id, uint64_t bytes, bool uptodate) {
  auto& oe = fs_info.ordered_extents.at(id);
  FSRACE_WARN_ON(bytes > oe.bytes_left, "ordered extent {}: {} bytes done, {} left", id, bytes, oe.bytes_left);
  if (!uptodate) oe.flags |= BTRFS_ORDERED_IOERR;
  oe.bytes_left -= bytes;
  if (oe.bytes_left != 0) return false;
  FSRACE_MODEL_CHECK(!oe.test(BTRFS_ORDERED_IO_DONE), "ordered extent {} completed twice", id);
  oe.flags |= BTRFS_ORDERED_IO_DONE;
  oe.refs++;  // for the finish work
  return true;
}

void btrfs_remove_ordered_extent(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t id) {
  // The ordered extent (flags; its waiters are a primitive), the root's list and count, ordered_roots
  // (fp::ordered_extents); the inode's ordered tree (its ordered part), nothing else of the inode.
  sched::FootprintScope scope(
      sched::declared().writes_to(fp::ordered_extents()).writes_to(fp::inode(inode.root, inode.ino, fp::inode_part::ordered)));
  sched::point(sched::L("btrfs_remove_ordered_extent(ino {} ordered {})", inode.ino, id));
  auto& oe = fs_info.ordered_extents.at(id);
  inode.ordered_tree.erase(oe.file_offset);
  auto& rd = btrfs_root_data_of(fs_info, oe.root);
  auto pos = std::find(rd.ordered_extents.begin(), rd.ordered_extents.end(), id);
  FSRACE_MODEL_CHECK(pos != rd.ordered_extents.end(), "ordered extent {} not on root {}'s list", id, oe.root);
  rd.ordered_extents.erase(pos);
  if (--rd.nr_ordered_extents == 0) {
    auto r = std::find(fs_info.ordered_roots.begin(), fs_info.ordered_roots.end(), oe.root);
    if (r != fs_info.ordered_roots.end()) fs_info.ordered_roots.erase(r);
  }
  oe.flags |= BTRFS_ORDERED_COMPLETE;
  oe.wait.wake_all();
}

void btrfs_start_ordered_extent(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t id, bool wait) {
  // The ordered extent (flags, its wait queue); the writeback of a buffered one runs undeclared.
  sched::FootprintScope scope(fp::whole_inode(sched::declared().writes_to(fp::ordered_extents()), inode.root, inode.ino));
  auto* oe = btrfs_ordered_extent_by_id(fs_info, id);
  FSRACE_MODEL_CHECK(oe, "start of freed ordered extent {}", id);
  if (!oe->test(BTRFS_ORDERED_DIRECT)) {
    sched::FootprintScope undeclared(sched::Footprint{});  // extent_writepages: delalloc, bios
    btrfs_fdatawrite_range(fs_info, inode, oe->file_offset, oe->end());
  }
  if (!wait) return;
  oe = btrfs_ordered_extent_by_id(fs_info, id);  // the caller's reference keeps it
  wait_until(oe->wait, sched::L("wait_event(ordered {} ino {} complete)", id, inode.ino),
             [oe] { return oe->test(BTRFS_ORDERED_COMPLETE); });
}

void btrfs_lock_and_flush_ordered_range(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end) {
  for (size_t attempt = 0;; attempt++) {  // bounded: each retry waits for one ordered extent to complete
    FSRACE_MODEL_CHECK(attempt < (1u << 16), "btrfs_lock_and_flush_ordered_range ino {} [{}, {}): ordered extents never "
                       "drained", inode.ino, start, end);
    lock_extent(fs_info, inode, start, end);
    const uint64_t id = btrfs_lookup_ordered_range(fs_info, inode, start, end);
    if (!id) return;
    unlock_extent(inode, start, end);
    btrfs_start_ordered_extent(fs_info, inode, id, true);
    btrfs_put_ordered_extent(fs_info, id);
  }
}

uint64_t btrfs_wait_ordered_extents(btrfs_fs_info& fs_info, uint64_t root, uint64_t nr, uint64_t range_start,
                                    uint64_t range_len) {
  sched::point(sched::L("btrfs_wait_ordered_extents(root {} start {})", root, range_start));
  const uint64_t range_end = range_len > ~0ull - range_start ? ~0ull : range_start + range_len;
  std::vector<uint64_t> works;
  for (uint64_t id : btrfs_root_data_of(fs_info, root).ordered_extents) {
    if (nr == 0) break;
    auto& oe = fs_info.ordered_extents.at(id);
    if (range_end <= oe.start || oe.start + oe.disk_len <= range_start) continue;
    oe.refs++;
    works.push_back(id);
    if (nr != ~0ull) nr--;
  }
  // The kernel queues btrfs_run_ordered_extent_work on the flush workers and waits for each; running
  // them in turn in the caller waits for the same set.
  for (uint64_t id : works) {
    const auto& oe = fs_info.ordered_extents.at(id);
    btrfs_inode* inode = btrfs_iget(fs_info, oe.root, oe.ino);
    FSRACE_MODEL_CHECK(inode, "ordered extent {} of unknown inode {}", id, oe.ino);
    btrfs_start_ordered_extent(fs_info, *inode, id, true);
    btrfs_put_ordered_extent(fs_info, id);
  }
  return works.size();
}

uint64_t btrfs_wait_ordered_roots(btrfs_fs_info& fs_info, uint64_t nr, uint64_t range_start, uint64_t range_len) {
  fs_info.ordered_operations_mutex.lock();
  // list_splice_init(&fs_info->ordered_roots, &splice): roots that get their first ordered extent
  // from now on are not visited.
  const std::vector<uint64_t> splice = fs_info.ordered_roots;
  uint64_t total = 0;
  for (uint64_t root : splice) {
    if (nr == 0) break;
    const uint64_t done = btrfs_wait_ordered_extents(fs_info, root, nr, range_start, range_len);
    total += done;
    if (nr != ~0ull) nr -= std::min(nr, done);
  }
  fs_info.ordered_operations_mutex.unlock();
  return total;
}

int btrfs_wait_ordered_range(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t len) {
  const uint64_t end = len > ~0ull - start ? ~0ull : start + len;
  btrfs_fdatawrite_range(fs_info, inode, start, end);
  filemap_fdatawait_range(inode, start, end);
  int ret = 0;
  uint64_t cur_end = end;
  // Backwards from the end (btrfs_lookup_first_ordered_extent), each pass strictly lowers cur_end.
  for (size_t guard = 0; guard < (1u << 20); guard++) {
    auto it = inode.ordered_tree.lower_bound(cur_end);
    if (it == inode.ordered_tree.begin()) break;
    --it;
    const uint64_t id = it->second;
    auto& oe = fs_info.ordered_extents.at(id);
    if (oe.end() <= start) break;
    oe.refs++;
    btrfs_start_ordered_extent(fs_info, inode, id, true);
    const auto* done = btrfs_ordered_extent_by_id(fs_info, id);
    if (done->test(BTRFS_ORDERED_IOERR)) ret = -EIO;
    cur_end = done->file_offset;
    btrfs_put_ordered_extent(fs_info, id);
    if (ret || cur_end <= start) break;
  }
  return ret;
}

}  // namespace fsrace::model
