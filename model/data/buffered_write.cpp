// __btrfs_buffered_write (file.c): prepare_pages, lock_and_cleanup_extent_if_need, copy, btrfs_dirty_pages.
#include <algorithm>

#include "model/data/data_oracle.hpp"
#include "model/data/delalloc.hpp"
#include "model/data/delalloc_space.hpp"
#include "model/data/inode.hpp"
#include "model/data/nocow.hpp"
#include "model/data/file.hpp"
#include "model/data/ordered_data.hpp"
#include "model/data/page_io.hpp"
#include "model/data/page_lock.hpp"
#include "model/footprints.hpp"
#include "model/fs_info.hpp"
#include "model/space_info.hpp"
#include "model/block_group.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/footprint.hpp"

namespace fsrace::model {
namespace {

// What a buffered write's own code touches (write_chunk and its undeclared callees, fast paths): the
// inode but i_count, which it neither takes nor drops (fp::held_inode: pages, io tree: locked ranges, delalloc and noreserve bits, lock states; its ordered extents
// looked up and referenced; i_size; delalloc_bytes), the data oracle (oracle_write, oracle_note_op),
// the data space_info (the reservation taken or given back, btrfs_clear_extent_delalloc's release; an
// underflow WARN ends the execution) and the delalloc lists (the root's delalloc_inodes,
// fs_info->delalloc_roots: every List, as their names are not fixed by model/footprints.hpp).
// Slow paths (a flushing reservation, a nocow check, reading a partial page, waiting for an ordered
// extent) run in undeclared scopes.
sched::Footprint buffered_write_claim(const btrfs_inode& inode) {
  return fp::held_inode(sched::declared(), inode.root, inode.ino)
      .writes_to(fp::oracle())
      .writes_to(fp::space_info())
      .touch_kind(sched::ObjectKind::List);
}

// Whether btrfs_reserve_data_bytes grants `len` bytes from `pos` at once (its fast path: no point, no
// flush); read in the caller's step, under the same claim as the reservation.
bool data_reservation_fits(btrfs_fs_info& fs_info, uint64_t pos, uint64_t len) {
  const uint64_t sector = fs_info.sectorsize;
  const uint64_t bytes = (pos + len + sector - 1) / sector * sector - pos / sector * sector;
  const btrfs_space_info& sinfo = btrfs_data_sinfo(fs_info);
  return btrfs_space_info_used(sinfo) + bytes <= sinfo.total_bytes;
}

constexpr uint64_t kMaxPagesPerChunk = 512;  // nrptrs: PAGE_SIZE / sizeof(struct page *)

// One chunk of pages [first, last]; returns 0 or -errno, and in *written the bytes written (the chunk,
// or less when only a nocow prefix of it could be written without a data reservation).
int write_chunk(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t pos, std::span<const uint8_t> data, uint32_t op,
                bool extend, uint64_t* written) {
  // btrfs_check_data_free_space before the pages are locked; without space, a write that can go in place
  // proceeds without a data reservation (only_release_metadata): btrfs_check_nocow_lock.
  bool only_release_metadata = false;
  int reserved = 0;
  {
    // The fast path touches only the data space_info (buffered_write_claim); a flush may allocate
    // chunks and commit: undeclared.
    sched::FootprintScope reserve(data_reservation_fits(fs_info, pos, data.size()) ? buffered_write_claim(inode)
                                                                                  : sched::Footprint{});
    reserved = btrfs_check_data_free_space(fs_info, pos, data.size());
  }
  if (const int r = reserved; r < 0) {
    uint64_t write_bytes = data.size();
    sched::FootprintScope nocow(sched::Footprint{});  // the snapshot lock, the extent tree: not audited
    const int can_nocow = btrfs_check_nocow_lock(fs_info, inode, pos, &write_bytes);
    if (can_nocow < 0) return can_nocow;
    if (can_nocow == 0) return r;
    only_release_metadata = true;
    data = data.first(write_bytes);
  }
  const uint64_t end = pos + data.size();
  const uint64_t first = page_index(pos), last = page_index(end - 1);
  const uint64_t start_pos = page_offset(first), last_pos = page_offset(last + 1);
  // Retried whenever an ordered extent is found in the range (bounded: each wait completes one).
  for (size_t attempt = 0; attempt < (1u << 16); attempt++) {
    // prepare_pages: lock the pages, wait for writeback, read the partial first / last page.
    lock_pages(inode, first, last, "prepare_pages(ino {} index {})");
    wait_on_page_writeback_range(inode, first, last);
    auto& pages = inode.mapping.pages;
    const bool partial_first = (pos % PAGE_SIZE) != 0 && !pages[first].uptodate;
    const bool partial_last = (end % PAGE_SIZE) != 0 && !pages[last].uptodate;
    if (partial_first || partial_last) {
      sched::FootprintScope read(sched::Footprint{});  // maps and reads the device: not audited
      const int r = btrfs_readpages_locked(fs_info, inode, partial_first ? first : last, partial_last ? last : first);
      if (r) {
        unlock_pages(inode, first, last);
        // release_bytes after the loop: the nocow lock, or the data reservation (btrfs_delalloc_release_space).
        if (only_release_metadata) btrfs_check_nocow_unlock(fs_info, inode);
        else btrfs_free_reserved_data_space(fs_info, pos, data.size());
        return r;
      }
    }
    // lock_and_cleanup_extent_if_need: an ordered extent in the range must complete first.
    const bool range_locked = start_pos < inode.i_size;
    if (range_locked) {
      lock_extent(fs_info, inode, start_pos, last_pos);
      if (uint64_t id = btrfs_lookup_ordered_range(fs_info, inode, start_pos, last_pos)) {
        unlock_extent(inode, start_pos, last_pos);
        unlock_pages(inode, first, last);
        sched::FootprintScope wait(sched::Footprint{});  // may run writeback and wait: not audited
        btrfs_start_ordered_extent(fs_info, inode, id, true);
        btrfs_put_ordered_extent(fs_info, id);
        continue;
      }
    }
    // btrfs_copy_from_user + btrfs_dirty_pages.
    for (uint64_t i = first; i <= last; i++) {
      page& pg = pages[i];
      const uint64_t pstart = page_offset(i);
      const uint64_t from = std::max(pos, pstart), to = std::min(end, pstart + PAGE_SIZE);
      page_data& bytes = page_make_private(pg);
      std::copy(data.begin() + (from - pos), data.begin() + (to - pos), bytes.begin() + (from - pstart));
      pg.uptodate = true;
      pg.dirty = true;
    }
    oracle_write(fs_info, inode, pos, data, op);
    // btrfs_dirty_pages -> btrfs_reset_extent_delalloc over the written sectors: the old accounting goes
    // (EXTENT_DELALLOC | EXTENT_DO_ACCOUNTING: a reservation of pages dirtied before is given back), then
    // EXTENT_DELALLOC, with EXTENT_NORESERVE for a write without a data reservation.
    const uint64_t sector = fs_info.sectorsize;
    const uint64_t dirty_start = pos / sector * sector, dirty_end = (end + sector - 1) / sector * sector;
    btrfs_clear_extent_delalloc(fs_info, inode, dirty_start, dirty_end, true);
    btrfs_set_extent_delalloc(fs_info, inode, std::min(start_pos, dirty_start), std::max(last_pos, dirty_end),
                              only_release_metadata);
    if (extend && end > inode.i_size) inode.i_size = end;
    if (range_locked) unlock_extent(inode, start_pos, last_pos);
    if (only_release_metadata) {
      sched::FootprintScope nocow(sched::Footprint{});  // the root's snapshot lock: not audited
      btrfs_check_nocow_unlock(fs_info, inode);
    }
    unlock_pages(inode, first, last);
    *written = data.size();
    return 0;
  }
  FSRACE_MODEL_CHECK(false, "buffered write ino {} off {}: ordered extents never drained", inode.ino, pos);
  return 0;
}

}  // namespace

int btrfs_check_nocow_lock(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t pos, uint64_t* write_bytes) {
  if (!(inode.flags & (BTRFS_INODE_NODATACOW | BTRFS_INODE_PREALLOC))) return 0;
  btrfs_drew_lock& snapshot_lock = btrfs_root_data_of(fs_info, inode.root).snapshot_lock;
  if (!btrfs_drew_try_write_lock(snapshot_lock)) return -EAGAIN;
  const uint64_t sector = fs_info.sectorsize;
  const uint64_t lockstart = pos / sector * sector, lockend = (pos + *write_bytes + sector - 1) / sector * sector;
  uint64_t num_bytes = lockend - lockstart;
  btrfs_lock_and_flush_ordered_range(fs_info, inode, lockstart, lockend);
  const int ret = can_nocow_extent(fs_info, inode, lockstart, &num_bytes);
  if (ret <= 0) btrfs_drew_write_unlock(snapshot_lock);
  else *write_bytes = std::min(*write_bytes, num_bytes - (pos - lockstart));
  unlock_extent(inode, lockstart, lockend);
  return ret;
}

void btrfs_check_nocow_unlock(btrfs_fs_info& fs_info, btrfs_inode& inode) {
  btrfs_drew_write_unlock(btrfs_root_data_of(fs_info, inode.root).snapshot_lock);
}

int btrfs_write_pages(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t pos, std::span<const uint8_t> data,
                      uint32_t op, bool extend) {
  uint64_t done = 0;
  while (done < data.size()) {  // chunks of at most kMaxPagesPerChunk pages
    const uint64_t cur = pos + done;
    const uint64_t chunk_end = std::min(pos + data.size(), page_offset(page_index(cur) + kMaxPagesPerChunk));
    uint64_t written = 0;
    if (int r = write_chunk(fs_info, inode, cur, data.subspan(done, chunk_end - cur), op, extend, &written)) return r;
    FSRACE_MODEL_CHECK(written > 0, "buffered write ino {} off {}: nothing written", inode.ino, cur);
    done += written;
  }
  return 0;
}

int btrfs_buffered_write(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t pos, std::span<const uint8_t> data,
                         std::string_view origin) {
  // buffered_write_claim: write_chunk's fast paths and their callees (page locks and waits, lock_extent,
  // btrfs_lookup_ordered_range, copy, oracle_write, btrfs_clear/set_extent_delalloc, i_size, unlocks);
  // every slow path opens an undeclared scope. i_rwsem is a primitive (its own object).
  sched::FootprintScope scope(buffered_write_claim(inode));
  if (data.empty()) return 0;
  const uint32_t op = oracle_note_op(fs_info, origin);
  inode.i_rwsem.down_write();
  const int ret = btrfs_write_pages(fs_info, inode, pos, data, op, true);
  inode.i_rwsem.up_write();
  return ret;
}

void invalidate_inode_pages_range(btrfs_inode& inode, uint64_t start, uint64_t end) {
  if (end <= start) return;
  auto& pages = inode.mapping.pages;
  const uint64_t first = page_index(start), last = page_index(end - 1);
  if (pages.lower_bound(first) == pages.end() || pages.lower_bound(first)->first > last) return;
  lock_pages(inode, first, last, "invalidate_inode_pages2_range(ino {} index {})");
  for (auto it = pages.lower_bound(first); it != pages.end() && it->first <= last;) {
    if (!it->second.dirty && !it->second.writeback)
      it = pages.erase(it);
    else
      (it++)->second.locked = false;
  }
  inode.page_waiters.wake_all();
}

}  // namespace fsrace::model
