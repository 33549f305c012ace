// Reads through the page cache (btrfs_readpage / extent_readpages) and O_DIRECT reads (btrfs_file_read_iter;
// the direct IO itself is direct_read.cpp).
#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "model/data/direct_io.hpp"
#include "model/data/file.hpp"
#include "model/data/ordered_data.hpp"
#include "model/data/page_io.hpp"
#include "model/data/page_lock.hpp"
#include "model/data/read.hpp"
#include "model/data/writeback.hpp"
#include "model/fs_info.hpp"
#include "scheduler/finding.hpp"

namespace fsrace::model {
namespace {

void zero_past_eof(std::span<uint8_t> buf, uint64_t buf_pos, uint64_t i_size) {
  if (buf_pos + buf.size() <= i_size) return;
  const uint64_t keep = i_size > buf_pos ? i_size - buf_pos : 0;
  std::fill(buf.begin() + keep, buf.end(), 0);
}

}  // namespace

int btrfs_readpages_locked(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t first, uint64_t last) {
  auto& pages = inode.mapping.pages;
  bool any = false;
  for (uint64_t i = first; i <= last; i++) any |= !pages[i].uptodate;
  if (!any) return 0;
  const uint64_t start = page_offset(first), end = page_offset(last + 1);
  btrfs_lock_and_flush_ordered_range(fs_info, inode, start, end);
  int ret = 0;
  for (uint64_t i = first; i <= last && !ret;) {  // runs of pages that are not uptodate
    if (pages[i].uptodate) {
      i++;
      continue;
    }
    uint64_t j = i;
    while (j + 1 <= last && !pages[j + 1].uptodate) j++;
    std::vector<uint8_t> buf(page_offset(j + 1 - i));
    const uint64_t run_pos = page_offset(i);
    // Pages wholly past EOF need no IO.
    const uint64_t io_end = std::min(page_offset(j + 1), round_up_page(inode.i_size));
    if (io_end > run_pos) {
      auto r = btrfs_read_file_extents(fs_info, inode, run_pos, std::span(buf).first(io_end - run_pos), true);
      if (r.err) {
        fs_info.log(fmt::format("BTRFS error: read of ino {} offset {} failed: {}", inode.ino, r.bad_offset, r.detail));
        ret = r.err;
        break;
      }
    }
    zero_past_eof(buf, run_pos, inode.i_size);
    for (uint64_t k = i; k <= j; k++) {
      auto data = std::make_shared<page_data>();
      std::copy_n(buf.begin() + page_offset(k - i), PAGE_SIZE, data->begin());
      pages[k].data = std::move(data);
      pages[k].uptodate = true;
    }
    i = j + 1;
  }
  unlock_extent(inode, start, end);
  return ret;
}

void copy_page_to_buffer(const page& pg, uint64_t index, uint64_t pos, uint64_t len, std::vector<uint8_t>& out) {
  const uint64_t pstart = page_offset(index);
  const uint64_t from = std::max(pos, pstart), to = std::min(pos + len, pstart + PAGE_SIZE);
  if (pg.data)
    std::copy(pg.data->begin() + (from - pstart), pg.data->begin() + (to - pstart), out.begin() + (from - pos));
  else
    std::fill(out.begin() + (from - pos), out.begin() + (to - pos), 0);
}

namespace {

// filemap_read: [pos, pos + len) through the page cache, clamped at i_size, into `out` (resized to the
// bytes read). Missing pages are read under their page locks.
int64_t filemap_read(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t pos, uint64_t len, std::vector<uint8_t>& out) {
  out.clear();
  const uint64_t isize = inode.i_size;
  if (pos >= isize || len == 0) return 0;
  len = std::min(len, isize - pos);
  out.resize(len);
  const uint64_t first = page_index(pos), last = page_index(pos + len - 1);
  lock_pages(inode, first, last, "generic_file_read_iter(ino {} index {})");
  const int r = btrfs_readpages_locked(fs_info, inode, first, last);
  if (!r) {
    for (uint64_t i = first; i <= last; i++) {
      const page& pg = inode.mapping.pages.at(i);
      copy_page_to_buffer(pg, i, pos, len, out);
    }
  }
  unlock_pages(inode, first, last);
  if (r) {
    out.clear();
    return r;
  }
  return int64_t(len);
}

// btrfs_file_read_iter with IOCB_DIRECT: btrfs_direct_read under i_rwsem shared (6.1 file.c:3759; a
// buffered write holds it exclusively), __iomap_dio_rw's filemap_write_and_wait_range, the direct IO per
// mapping; what a mapping refused (-ENOTBLK) is read through the page cache after the lock is dropped.
int64_t btrfs_direct_read(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t pos, uint64_t len,
                          std::vector<uint8_t>& out) {
  out.clear();
  inode.i_rwsem.down_read();
  const uint64_t isize = inode.i_size;
  if (pos >= isize || len == 0) {
    inode.i_rwsem.up_read();
    return 0;
  }
  len = std::min(len, isize - pos);
  const uint64_t s = round_down_page(pos), e = round_up_page(pos + len);
  filemap_write_and_wait_range(fs_info, inode, s, e);
  std::vector<uint8_t> buf(e - s);
  uint64_t done = 0;
  const int r = btrfs_dio_read(fs_info, inode, s, buf, &done);
  if (!r) zero_past_eof(std::span(buf).first(done), s, inode.i_size);
  inode.i_rwsem.up_read();
  if (r) return r;
  const uint64_t direct_end = std::min(s + done, pos + len);
  out.assign(len, 0);
  if (direct_end > pos) std::copy_n(buf.begin() + (pos - s), direct_end - pos, out.begin());
  if (direct_end >= pos + len) return int64_t(len);
  // -ENOTBLK: filemap_read of the rest (btrfs_file_read_iter), short at i_size as it is then.
  const uint64_t from = std::max(direct_end, pos);
  std::vector<uint8_t> rest;
  const int64_t n = filemap_read(fs_info, inode, from, pos + len - from, rest);
  if (n < 0) {
    out.clear();
    return n;
  }
  out.resize(from - pos);
  out.insert(out.end(), rest.begin(), rest.end());
  return int64_t(out.size());
}

}  // namespace

int64_t btrfs_file_read(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t pos, uint64_t len, bool direct,
                        std::vector<uint8_t>& out) {
  if (direct) return btrfs_direct_read(fs_info, inode, pos, len, out);
  return filemap_read(fs_info, inode, pos, len, out);
}

}  // namespace fsrace::model
