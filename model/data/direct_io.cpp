// Direct IO writes and lock_extent_direct (inode.c btrfs_direct_IO / btrfs_get_blocks_direct / lock_extent_direct /
// can_nocow_extent / btrfs_new_extent_direct / btrfs_create_dio_extent / btrfs_submit_direct /
// btrfs_endio_direct_write, file.c __btrfs_direct_write).
#include <algorithm>
#include <cerrno>
#include <memory>
#include <optional>

#include "model/bio.hpp"
#include "model/block_group.hpp"
#include "model/data/data_oracle.hpp"
#include "model/data/delalloc_space.hpp"
#include "model/data/dio_footprints.hpp"
#include "model/data/direct_io.hpp"
#include "model/data/file.hpp"
#include "model/data/file_extent.hpp"
#include "model/data/file_item.hpp"
#include "model/data/inode.hpp"
#include "model/data/nocow.hpp"
#include "model/data/ordered_data.hpp"
#include "model/data/page_io.hpp"
#include "model/data/read.hpp"
#include "model/data/wait.hpp"
#include "model/data/writeback.hpp"
#include "model/footprints.hpp"
#include "model/fs_info.hpp"
#include "model/transaction.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/footprint.hpp"
#include "scheduler/sync/completion.hpp"

namespace fsrace::model {

int can_nocow_extent(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t offset, uint64_t* len) {
  // Reads the inode (flags, delalloc bits), the fs tree (its file extent items, get_fs_root, the root
  // item's last_snapshot), the block group of the extent (btrfs_extent_readonly: the group cache and
  // ro), btrfs_cross_ref_exist's extent tree item and delayed refs of the running transaction (whose
  // reference it takes: a write of the transaction, running_bytenr's wait is a primitive), the csum
  // tree (csum_exist_in_range). Every tree read may fill the block cache from a device (claim_tree_read).
  // Callees have no scope of their own; trans_lock and delayed_refs_wait are primitives.
  sched::Footprint claim = fp::held_inode(sched::declared(), inode.root, inode.ino, false).touch_kind(sched::ObjectKind::BlockGroup, false);
  claim.writes_to(fp::transaction()).reads_from(fp::delayed_refs());
  fp::claim_tree_read(claim, inode.root);
  fp::claim_tree_read(claim, BTRFS_EXTENT_TREE_OBJECTID);
  fp::claim_tree_read(claim, BTRFS_CSUM_TREE_OBJECTID);
  sched::FootprintScope scope(claim);
  sched::point(sched::L("can_nocow_extent(ino {} off {})", inode.ino, offset));
  btrfs_root* root = fs_info.get_fs_root(inode.root);
  if (!root) return 0;
  auto items = btrfs_lookup_file_extents(fs_info, *root, inode.ino, offset, offset + 1);
  if (items.empty() || items.front().key_offset > offset) return 0;
  const file_extent& fe = items.front();
  const bool nocow = inode.nodatacow();
  if (fe.fi.type != BTRFS_FILE_EXTENT_REG && fe.fi.type != BTRFS_FILE_EXTENT_PREALLOC) return 0;
  if (!nocow && fe.fi.type == BTRFS_FILE_EXTENT_REG) return 0;
  if (fe.fi.disk_bytenr == 0) return 0;
  if (btrfs_extent_readonly(fs_info, fe.fi.disk_bytenr)) return 0;
  const uint64_t num_bytes = std::min(offset + *len, fe.end()) - offset;
  if (!nocow && fe.fi.type == BTRFS_FILE_EXTENT_PREALLOC &&
      inode.io_tree.delalloc.intersects(offset, round_up_page(offset + num_bytes)))
    return -EAGAIN;
  if (btrfs_cross_ref_exist(fs_info, inode.root, inode.ino, fe.ref_offset(), fe.fi.disk_bytenr, fe.fi.disk_num_bytes))
    return 0;
  if (csum_exist_in_range(fs_info, fe.disk_at(offset), num_bytes)) return 0;
  *len = num_bytes;
  return 1;
}

int lock_extent_direct(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end, bool writing) {
  // The inode's io tree (locks, waiters), page cache and ordered tree; the ordered extents (lookup takes
  // a reference, put may free it). btrfs_start_ordered_extent has its own scope.
  sched::FootprintScope scope(fp::held_inode(sched::declared(), inode.root, inode.ino).writes_to(fp::ordered_extents()));
  for (size_t attempt = 0; attempt < (1u << 16); attempt++) {  // each retry waits for one ordered extent
    lock_extent(fs_info, inode, start, end);
    const uint64_t id = btrfs_lookup_ordered_range(fs_info, inode, start, end);
    bool pages_exist = false;
    if (writing) {
      auto p = inode.mapping.pages.lower_bound(page_index(start));
      pages_exist = p != inode.mapping.pages.end() && p->first <= page_index(end - 1);
    }
    if (!id && !pages_exist) return 0;
    unlock_extent(inode, start, end);
    if (!id) return -ENOTBLK;
    // ade770294df2: a read must not wait for a buffered write's ordered extent.
    if (writing || btrfs_ordered_extent_by_id(fs_info, id)->test(BTRFS_ORDERED_DIRECT) ||
        !fs_info.fixes.has("ade770294df2")) {
      btrfs_start_ordered_extent(fs_info, inode, id, true);
      btrfs_put_ordered_extent(fs_info, id);
      continue;
    }
    btrfs_put_ordered_extent(fs_info, id);
    return -ENOTBLK;
  }
  FSRACE_MODEL_CHECK(false, "direct IO ino {} [{}, {}): ordered extents never drained", inode.ino, start, end);
  return 0;
}

namespace {

// Whether a page of [start, end) is dirty: extent_writepages of the range would run delalloc.
bool range_has_dirty_pages(const btrfs_inode& inode, uint64_t start, uint64_t end) {
  if (end <= start) return false;
  const uint64_t last = page_index(end - 1);
  for (auto it = inode.mapping.pages.lower_bound(page_index(start)); it != inode.mapping.pages.end() && it->first <= last; ++it)
    if (it->second.dirty) return true;
  return false;
}

struct dio_mapping {
  uint64_t len = 0;          // bytes of the file mapped from the requested start
  uint64_t block_start = 0;  // where they go on disk
  uint64_t ordered = 0;      // the DIO ordered extent covering them
};

// btrfs_get_blocks_direct (create): maps [start, start + len) for writing, nocow or a new extent.
int btrfs_get_blocks_direct(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t len, dio_mapping& out) {
  // Own code: the inode but i_count (flags, extent maps, i_size, io tree unlock). Callees without a scope:
  // btrfs_get_extent (the inode's extent maps, the fs tree: claim_tree_read), btrfs_inc/dec_nocow_writers
  // and btrfs_dec_block_group_reservations (the block group cache and a group; the counters are
  // primitives). Own scopes: btrfs_check_data_free_space, btrfs_free_reserved_data_space,
  // lock_extent_direct, can_nocow_extent, btrfs_add_ordered_extent_dio, btrfs_reserve_data_extent (below:
  // btrfs_reserve_extent's). fs_info.data_stats: counters only incremented, read after the
  // execution (they commute).
  sched::Footprint claim = fp::held_inode(sched::declared(), inode.root, inode.ino).touch_kind(sched::ObjectKind::BlockGroup);
  fp::claim_tree_read(claim, inode.root);
  sched::FootprintScope scope(claim);
  // btrfs_dio_iomap_begin: data space is reserved before the range is locked; without it the write may
  // still go in place (NODATACOW / PREALLOC inodes), else -ENOSPC.
  const uint64_t data_alloc_len = len;
  bool data_space_reserved = false;
  if (const int r = btrfs_check_data_free_space(fs_info, start, data_alloc_len); r == 0)
    data_space_reserved = true;
  else if (!(inode.flags & (BTRFS_INODE_NODATACOW | BTRFS_INODE_PREALLOC)))
    return r;
  if (int r = lock_extent_direct(fs_info, inode, start, start + len, true)) {
    if (data_space_reserved) btrfs_free_reserved_data_space(fs_info, start, data_alloc_len);
    return r;
  }
  sched::point(sched::L("btrfs_get_extent(ino {} off {})", inode.ino, start));
  const data_mapping em = btrfs_get_extent(fs_info, inode, start);
  if (em.kind == data_mapping::prealloc || (inode.nodatacow() && em.kind == data_mapping::regular)) {
    const bool prealloc = em.kind == data_mapping::prealloc;
    uint64_t nlen = std::min(len, em.start + em.len - start);
    // The location comes from the extent map read now; it is where the bio goes, whatever happens to
    // the extent later.
    const uint64_t block_start = em.block_start + (start - em.start);
    if (can_nocow_extent(fs_info, inode, start, &nlen) == 1 && btrfs_inc_nocow_writers(fs_info, block_start)) {
      // btrfs_create_dio_extent
      if (prealloc) inode.extent_tree[start] = extent_map{start, nlen, block_start, true};  // create_pinned_em
      out.ordered = btrfs_add_ordered_extent_dio(fs_info, inode, start, block_start, nlen, nlen,
                                                 prealloc ? BTRFS_ORDERED_PREALLOC : BTRFS_ORDERED_NOCOW);
      btrfs_dec_nocow_writers(fs_info, block_start);
      out.len = nlen;
      out.block_start = block_start;
      fs_info.data_stats.dio_nocow++;
    }
  }
  const bool nocow_done = out.ordered != 0;
  if (!out.ordered) {  // btrfs_new_extent_direct
    // "If we could not allocate data space before locking the file range and we can't do a NOCOW
    // write, then we have to fail."
    if (!data_space_reserved) {
      unlock_extent(inode, start, start + len);
      return -ENOSPC;
    }
    btrfs_key_ins ins;
    int r;
    {
      // btrfs_reserve_data_extent's own code only retries with halved sizes (locals, the sector size);
      // btrfs_reserve_extent opens its own scope first thing, and an undeclared one around a chunk
      // allocation: this scope claims nothing, and keeps this function's claim out of their steps.
      sched::FootprintScope alloc(sched::declared());
      r = btrfs_reserve_data_extent(fs_info, std::min<uint64_t>(len, 128ull << 20), ins, true);
    }
    if (r) {
      unlock_extent(inode, start, start + len);
      // The part the allocator did not take (every halving attempt failed: all of it).
      btrfs_free_reserved_data_space(fs_info, start, data_alloc_len);
      return r;
    }
    inode.extent_tree[start] = extent_map{start, ins.offset, ins.objectid, false};  // create_pinned_em
    // Its own step, later than the reservation: until it exists only bg->reservations (9cfa3e34e20e)
    // tells anyone that this extent is being written.
    out.ordered = btrfs_add_ordered_extent_dio(fs_info, inode, start, ins.objectid, ins.offset, ins.offset, 0);
    btrfs_dec_block_group_reservations(fs_info, ins.objectid);
    out.len = ins.offset;
    out.block_start = ins.objectid;
    fs_info.data_stats.dio_cow++;
  }
  // The reservation not used: all of it after a nocow mapping, the tail beyond a shorter new extent.
  if (data_space_reserved) {
    if (nocow_done) btrfs_free_reserved_data_space(fs_info, start, data_alloc_len);
    else if (out.len < data_alloc_len) btrfs_free_reserved_data_space(fs_info, start + out.len, data_alloc_len - out.len);
  }
  if (start + out.len > inode.i_size) inode.i_size = start + out.len;
  unlock_extent(inode, start, start + len);
  return 0;
}

// btrfs_submit_direct: checksums into the ordered extent, one bio; its completion
// (btrfs_endio_direct_write) accounts the ordered extent and ends the waiting syscall.
std::shared_ptr<sched::Completion> btrfs_submit_direct(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t file_offset,
                                                       const dio_mapping& m, std::span<const uint8_t> data,
                                                       std::shared_ptr<int> status) {
  // The ordered extent (its sums); the bio is this fiber's until btrfs_submit_bio (own scope) publishes
  // it. The completion and status are the dio's (the inode's object, as in btrfs_direct_write).
  sched::FootprintScope scope(fp::held_inode(sched::declared().writes_to(fp::ordered_extents()), inode.root, inode.ino));
  auto& oe = fs_info.ordered_extents.at(m.ordered);
  if (!inode.nodatasum()) oe.sums.push_back(btrfs_csum_one_bio(m.block_start, data));
  auto done = std::make_shared<sched::Completion>("dio->done");
  auto bio = std::make_shared<btrfs_bio>();
  bio->op = map_op::write;
  bio->logical = m.block_start;
  bio->len = m.len;
  bio->buf = std::make_shared<std::vector<uint8_t>>(data.begin(), data.end());
  bio->what = "btrfs_endio_direct_write";
  bio->end_io_declares_footprint = true;  // its end_io opens its own scope, below
  const uint64_t id = m.ordered, bytes = m.len, ino = inode.ino, root = inode.root;
  bio->end_io = [&fs_info, id, bytes, done, status, ino, root](btrfs_bio& b) {
    // btrfs_endio_direct_write: the dio's status (shared with the waiting dio: the inode's dio part), the
    // ordered extent's counters and reference (btrfs_dec_test_ordered_pending: fp::ordered_extents, not
    // the inode's ordered tree); btrfs_queue_finish_ordered_io only spawns the worker
    // (btrfs_finish_ordered_io opens its own scope) or, outside a fiber, runs it with no step to claim.
    // done->complete() is a primitive.
    {
      sched::FootprintScope scope(
          sched::declared().writes_to(fp::inode(root, ino, fp::inode_part::dio)).writes_to(fp::ordered_extents()));
      if (b.status) *status = b.status;
      if (btrfs_dec_test_ordered_pending(fs_info, id, bytes, b.status == 0)) btrfs_queue_finish_ordered_io(fs_info, id);
    }
    // Only the completion: the step that starts at complete() does not take the claim above.
    sched::FootprintScope signal(sched::declared());
    done->complete();  // dio_end_io
  };
  btrfs_submit_bio(fs_info, std::move(bio));
  return done;
}

}  // namespace

int btrfs_direct_write(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t pos, std::span<const uint8_t> data,
                       std::string_view origin) {
  const uint64_t sector = fs_info.sectorsize;
  if (pos % sector || data.size() % sector) return -EINVAL;
  if (data.empty()) return 0;
  // Own code: the inode but i_count (fp::held_inode: i_size, page cache, dio_count, dio_waiters; the
  // status and completions shared with its endio fibers; the ordered extent's reference is
  // btrfs_get_blocks_direct's), the oracle (oracle_note_op, oracle_write); i_rwsem and the completions are
  // primitives. filemap_write_and_wait_range and invalidate_inode_pages_range touch only the inode's
  // page cache when no page of the range is dirty (extent_writepages finds nothing to write), else they
  // run undeclared; so does the buffered fallback. btrfs_get_blocks_direct and btrfs_submit_direct have
  // their own scopes.
  std::optional<sched::FootprintScope> scope;
  scope.emplace(fp::held_inode(sched::declared(), inode.root, inode.ino).writes_to(fp::oracle()));
  const uint32_t op = oracle_note_op(fs_info, origin);
  const uint64_t end = pos + data.size();
  // btrfs_direct_write: overwrites inside i_size take i_rwsem shared (BTRFS_ILOCK_SHARED), re-checked
  // under the lock; everything else exclusive. The lock is held until the IO completed.
  bool shared = end <= inode.i_size;
  for (int attempt = 0;; ++attempt) {  // at most one retry: the second lock is exclusive
    if (shared) inode.i_rwsem.down_read(); else inode.i_rwsem.down_write();
    if (!shared || end <= inode.i_size) break;
    FSRACE_ASSERT(attempt == 0, "direct write relock loop on ino {}", inode.ino);
    inode.i_rwsem.up_read();
    shared = false;
  }
  // __iomap_dio_rw: write back and drop cached pages of the range first.
  {
    std::optional<sched::FootprintScope> writeback;
    if (range_has_dirty_pages(inode, pos, end)) writeback.emplace(sched::Footprint{});  // runs delalloc: undeclared
    filemap_write_and_wait_range(fs_info, inode, pos, end);
  }
  invalidate_inode_pages_range(inode, pos, end);
  inode.dio_count++;  // inode_dio_begin
  auto status = std::make_shared<int>(0);
  std::vector<std::shared_ptr<sched::Completion>> bios;
  uint64_t cur = pos;
  int ret = 0;
  while (cur < end) {  // each mapping covers at least one sector
    dio_mapping m;
    const int r = btrfs_get_blocks_direct(fs_info, inode, cur, end - cur, m);
    if (r == -ENOTBLK) break;
    if (r) {
      ret = r;
      break;
    }
    const auto slice = data.subspan(cur - pos, m.len);
    oracle_write(fs_info, inode, cur, slice, op);
    bios.push_back(btrfs_submit_direct(fs_info, inode, cur, m, slice, status));
    cur += m.len;
  }
  // From here to the return: dio_count and the bios' status (the inode's dio part); the completions,
  // dio_waiters and i_rwsem are primitives; the buffered fallback opens an undeclared scope. The claim
  // above is closed first, so that the step that returns from here (up_read's) takes the caller's claim
  // after this one, not the whole inode's (locals' destructors: this thread's memory).
  scope.reset();
  sched::FootprintScope tail(sched::declared().writes_to(fp::inode(inode.root, inode.ino, fp::inode_part::dio)));
  // dio_await_completion. A step that blocks in wait_for_completion records only the completion (the
  // primitive sees to it: scheduler/sync/blocking.hpp); the step that returns here takes the claim above.
  for (auto& done : bios) done->wait_for_completion();
  if (--inode.dio_count == 0) inode.dio_waiters.wake_all();  // inode_dio_end
  if (!ret && *status) ret = *status;
  if (!ret && cur < end && shared) {  // the buffered fallback needs the lock exclusive (btrfs_buffered_write)
    inode.i_rwsem.up_read();
    inode.i_rwsem.down_write();
    shared = false;
  }
  if (!ret && cur < end) {
    sched::FootprintScope undeclared(sched::Footprint{});  // the buffered write path: not audited here
    // -ENOTBLK: the rest goes through the page cache, written and dropped (__btrfs_direct_write).
    ret = btrfs_write_pages(fs_info, inode, cur, data.subspan(cur - pos), op, true);
    if (!ret) ret = filemap_write_and_wait_range(fs_info, inode, cur, end);
    if (!ret) invalidate_inode_pages_range(inode, cur, end);
  }
  if (shared) inode.i_rwsem.up_read(); else inode.i_rwsem.up_write();
  return ret;
}

void inode_dio_wait(btrfs_inode& inode) {
  if (inode.dio_count == 0) return;
  wait_until(inode.dio_waiters, sched::L("inode_dio_wait(ino {})", inode.ino), [&] { return inode.dio_count == 0; });
}

}  // namespace fsrace::model
