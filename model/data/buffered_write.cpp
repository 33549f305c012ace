// __btrfs_buffered_write (file.c): prepare_pages, lock_and_cleanup_extent_if_need, copy, btrfs_dirty_pages.
#include <algorithm>

#include "model/data/data_oracle.hpp"
#include "model/data/delalloc.hpp"
#include "model/data/file.hpp"
#include "model/data/ordered_data.hpp"
#include "model/data/page_io.hpp"
#include "model/data/page_lock.hpp"
#include "model/fs_info.hpp"
#include "scheduler/finding.hpp"

namespace fsrace::model {
namespace {

constexpr uint64_t kMaxPagesPerChunk = 512;  // nrptrs: PAGE_SIZE / sizeof(struct page *)

// One chunk of pages [first, last]; returns 0 or -errno.
int write_chunk(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t pos, std::span<const uint8_t> data, uint32_t op,
                bool extend) {
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
      const int r = btrfs_readpages_locked(fs_info, inode, partial_first ? first : last, partial_last ? last : first);
      if (r) {
        unlock_pages(inode, first, last);
        return r;
      }
    }
    // lock_and_cleanup_extent_if_need: an ordered extent in the range must complete first.
    const bool range_locked = start_pos < inode.i_size;
    if (range_locked) {
      lock_extent(inode, start_pos, last_pos);
      if (uint64_t id = btrfs_lookup_ordered_range(fs_info, inode, start_pos, last_pos)) {
        unlock_extent(inode, start_pos, last_pos);
        unlock_pages(inode, first, last);
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
    btrfs_set_extent_delalloc(fs_info, inode, start_pos, last_pos);
    if (extend && end > inode.i_size) inode.i_size = end;
    if (range_locked) unlock_extent(inode, start_pos, last_pos);
    unlock_pages(inode, first, last);
    return 0;
  }
  FSRACE_MODEL_CHECK(false, "buffered write ino {} off {}: ordered extents never drained", inode.ino, pos);
  return 0;
}

}  // namespace

int btrfs_write_pages(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t pos, std::span<const uint8_t> data,
                      uint32_t op, bool extend) {
  uint64_t done = 0;
  while (done < data.size()) {  // chunks of at most kMaxPagesPerChunk pages
    const uint64_t cur = pos + done;
    const uint64_t chunk_end = std::min(pos + data.size(), page_offset(page_index(cur) + kMaxPagesPerChunk));
    if (int r = write_chunk(fs_info, inode, cur, data.subspan(done, chunk_end - cur), op, extend)) return r;
    done = chunk_end - pos;
  }
  return 0;
}

int btrfs_buffered_write(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t pos, std::span<const uint8_t> data,
                         std::string_view origin) {
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
