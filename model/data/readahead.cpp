// 6.1's buffered read of uncached pages as readahead does it (filemap_read -> page_cache_sync_ra ->
// extent_readahead): pages added locked, each batch of at most 16 contiguous pages locked in the io tree
// (contiguous_readpages), one bio per run of pages contiguous on disk (submit_extent_page), and the end_io
// (end_bio_extent_readpage) in the bio's completion fiber: it unlocks the pages (end_page_read), then the
// io tree range (endio_readpage_release_extent). The bios hold no inode reference, so the reader may
// return, close and let the inode be evicted before a completion released its range.
#include "model/data/readahead.hpp"

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "model/bio.hpp"
#include "model/data/ordered_data.hpp"
#include "model/data/page_lock.hpp"
#include "model/data/read.hpp"
#include "model/data/wait.hpp"
#include "model/fs_info.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

constexpr uint64_t kBatchPages = 16;  // extent_readahead's pagepool[16]

// end_page_read for one page: its content, PageUptodate or not, unlock_page.
void end_page_read(btrfs_inode& inode, uint64_t index, const uint8_t* data, bool uptodate) {
  page& pg = inode.mapping.pages[index];
  if (uptodate) {
    auto copy = std::make_shared<page_data>();
    if (data) std::copy_n(data, PAGE_SIZE, copy->begin());
    else copy->fill(0);
    pg.data = std::move(copy);
  }
  pg.uptodate = uptodate;
  pg.locked = false;
  inode.page_waiters.wake_all();
}

// btrfs_bio_ctrl: the bio being built, pages contiguous in the file and on disk.
struct bio_ctrl {
  uint64_t file_pos = 0, logical = 0, len = 0;
};

// submit_one_bio -> btrfs_submit_data_read_bio: the checksums looked up by the submitter, then the bio;
// its end_io verifies the sectors (other mirrors for bad ones), ends each page's read, then unlocks the
// bio's io tree range (one processed extent: the pages are contiguous).
void submit_read_bio(btrfs_fs_info& fs_info, btrfs_inode& inode, bio_ctrl& ctrl) {
  if (!ctrl.len) return;
  const uint64_t file_pos = ctrl.file_pos, logical = ctrl.logical, len = ctrl.len;
  ctrl = {};
  auto csums = btrfs_lookup_bio_sums(fs_info, inode, logical, len);
  btrfs_check_data_bio_mapped(fs_info, inode, file_pos, logical, len);
  auto bio = std::make_shared<btrfs_bio>();
  bio->op = map_op::read;
  bio->logical = logical;
  bio->len = len;
  bio->buf = std::make_shared<std::vector<uint8_t>>(len);
  bio->what = "end_bio_extent_readpage";
  btrfs_fs_info* fs = &fs_info;
  btrfs_inode* ino = &inode;
  bio->end_io = [fs, ino, file_pos, csums = std::move(csums)](btrfs_bio& b) {
    const data_read_result r = btrfs_check_read_bio(*fs, *ino, file_pos, b.logical, *b.buf, csums, b.status);
    if (r.err)
      fs->log(fmt::format("BTRFS error: read of ino {} offset {} failed: {}", ino->ino, r.bad_offset, r.detail));
    for (uint64_t off = 0; off < b.len; off += PAGE_SIZE) {
      const bool ok = !r.err || file_pos + off < r.bad_offset;
      end_page_read(*ino, page_index(file_pos + off), b.buf->data() + off, ok);
    }
    sched::point(sched::L("endio_readpage_release_extent(ino {} off {})", ino->ino, file_pos));
    // Without an inode reference the io tree may be gone: what KASAN would report.
    FSRACE_BUG_ON(ino->evicted, "use-after-free: end_bio_extent_readpage unlocks [{}, {}) in the io tree of evicted ino {}",
                  file_pos, file_pos + b.len, ino->ino);
    unlock_extent(*ino, file_pos, file_pos + b.len);
  };
  btrfs_submit_bio(fs_info, bio);
}

// contiguous_readpages: the batch's io tree range, then btrfs_do_readpage per page.
void contiguous_readpages(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t first, uint64_t last, bio_ctrl& ctrl,
                          data_mapping& em_cached) {
  btrfs_lock_and_flush_ordered_range(fs_info, inode, page_offset(first), page_offset(last + 1));
  for (uint64_t i = first; i <= last; i++) {
    const uint64_t cur = page_offset(i);
    if (cur >= inode.i_size) {  // past EOF: zeroed and done by the reader
      unlock_extent(inode, cur, cur + PAGE_SIZE);
      end_page_read(inode, i, nullptr, true);
      continue;
    }
    if (!(em_cached.len && em_cached.start <= cur && cur < em_cached.start + em_cached.len)) {
      sched::point(sched::L("btrfs_get_extent(ino {} off {})", inode.ino, cur));
      em_cached = btrfs_get_extent(fs_info, inode, cur);
    }
    if (em_cached.kind == data_mapping::hole || em_cached.kind == data_mapping::prealloc) {
      unlock_extent(inode, cur, cur + PAGE_SIZE);
      end_page_read(inode, i, nullptr, true);
      continue;
    }
    const uint64_t disk = em_cached.block_start + (cur - em_cached.start);
    // btrfs_bio_add_page: only a page contiguous in the file and on disk joins the bio.
    if (ctrl.len && (ctrl.logical + ctrl.len != disk || ctrl.file_pos + ctrl.len != cur))
      submit_read_bio(fs_info, inode, ctrl);
    if (!ctrl.len) ctrl = {cur, disk, 0};
    ctrl.len += PAGE_SIZE;
  }
}

}  // namespace

void btrfs_readahead(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t first, uint64_t last) {
  auto& pages = inode.mapping.pages;
  bio_ctrl ctrl;
  data_mapping em_cached;
  em_cached.len = 0;
  for (uint64_t i = first; i <= last;) {  // readahead_page_batch: runs of locked, not uptodate pages
    if (pages[i].uptodate) {
      i++;
      continue;
    }
    uint64_t j = i;
    while (j + 1 <= last && j + 1 - i < kBatchPages && !pages[j + 1].uptodate) j++;
    contiguous_readpages(fs_info, inode, i, j, ctrl, em_cached);
    i = j + 1;
  }
  submit_read_bio(fs_info, inode, ctrl);
}

int64_t filemap_read_readahead(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t pos, uint64_t len,
                               std::vector<uint8_t>& out) {
  out.clear();
  const uint64_t isize = inode.i_size;
  if (pos >= isize || len == 0) return 0;
  len = std::min(len, isize - pos);
  const uint64_t first = page_index(pos), last = page_index(pos + len - 1);
  auto& pages = inode.mapping.pages;
  bool any = false;
  for (uint64_t i = first; i <= last; i++) any |= !pages[i].uptodate;
  if (any) {
    // page_cache_ra_unbounded adds the missing pages locked; pages already uptodate are not read.
    lock_pages(inode, first, last, "page_cache_ra_unbounded(ino {} index {})");
    for (uint64_t i = first; i <= last; i++)
      if (pages[i].uptodate) pages[i].locked = false;
    btrfs_readahead(fs_info, inode, first, last);
  }
  out.resize(len);
  for (uint64_t i = first; i <= last; i++) {
    // filemap_update_page: a page still locked by its read is waited for (folio_put_wait_locked).
    if (pages[i].locked)
      wait_until(inode.page_waiters, sched::L("folio_wait_locked(ino {} index {})", inode.ino, i),
                 [&] { return !pages[i].locked; });
    const page& pg = pages[i];
    if (!pg.uptodate) {
      out.clear();
      return -EIO;
    }
    copy_page_to_buffer(pg, i, pos, len, out);
  }
  return int64_t(len);
}

}  // namespace fsrace::model
