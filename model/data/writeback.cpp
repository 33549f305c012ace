#include "model/data/writeback.hpp"

#include <algorithm>
#include <cerrno>

#include "model/bio.hpp"
#include "model/block_group.hpp"
#include "model/data/delalloc.hpp"
#include "model/data/extent_map.hpp"
#include "model/data/file_extent.hpp"
#include "model/data/file_item.hpp"
#include "model/data/fs_data_state.hpp"
#include "model/data/inode.hpp"
#include "model/data/ordered_data.hpp"
#include "model/data/page_io.hpp"
#include "model/data/page_lock.hpp"
#include "model/footprints.hpp"
#include "model/fs_info.hpp"
#include "model/space_info.hpp"
#include "model/transaction.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/footprint.hpp"

namespace fsrace::model {
namespace {

constexpr uint64_t BTRFS_MAX_EXTENT_SIZE = 128ull << 20;

// fs_info->dmesg (fs_info.log).
constexpr uint64_t kKernelLog = fp::kernel_log();

// What writeback of one inode touches outside the allocator (extent_writepages, cow_file_range,
// submit_write_bio and their undeclared callees): the inode but i_count (fp::held_inode: pages, io tree:
// locked ranges, delalloc and noreserve bits; extent maps; its ordered extents: created, looked up,
// checksums added; the reference an ordered extent takes is btrfs_add_ordered_extent's own scope), the data space_info (unreserved_cow_bytes, the reservation
// btrfs_clear_extent_delalloc gives back), every List (the root's delalloc_inodes and ordered_extents,
// fs_info->delalloc_roots and ordered_roots: names model/footprints.hpp does not fix), every Counter
// (fs_info->next_ordered_id, the root's nr_ordered_extents and nr_delalloc_inodes, data_stats), every
// block group read (btrfs_dec_block_group_reservations looks its group up; the counter itself is a
// primitive). fail_delalloc_range's log and btrfs_submit_bio's mapping open their own scopes (below);
// the allocator and nocow writeback undeclared ones.
sched::Footprint writeback_claim(const btrfs_inode& inode) {
  return fp::held_inode(sched::declared(), inode.root, inode.ino)
      .writes_to(fp::space_info())
      .touch_kind(sched::ObjectKind::List)
      .touch_kind(sched::ObjectKind::Counter)
      .writes_to(fp::ordered_extents())  // the name the ordered extent code claims (model/footprints.hpp)
      .touch_kind(sched::ObjectKind::BlockGroup, false);
}
// writeback_claim and what btrfs_submit_bio does in the steps after its point (btrfs_map_block: the
// chunk mapping, every device's state, fs_info->dev_replace, read; the log on an error;
// dev_replace->rwsem is a primitive; the endio fiber's steps are its own).
sched::Footprint submit_claim(const btrfs_inode& inode) {
  return writeback_claim(inode)
      .reads_from(fp::chunk_map())
      .touch_kind(sched::ObjectKind::Device, false)
      .reads_from(fp::replace())
      .writes_to(kKernelLog);
}

// Submits the write bio of [start, end) of the file, all inside ordered extent `id`, from the page
// cache (pages under writeback). Completion runs end_bio_extent_writepage in the endio fiber.
void submit_write_bio(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t id, uint64_t start, uint64_t end) {
  auto& oe = fs_info.ordered_extents.at(id);
  const uint64_t logical = oe.start + (start - oe.file_offset);
  auto buf = std::make_shared<std::vector<uint8_t>>(end - start);
  for (uint64_t off = start; off < end; off += PAGE_SIZE) {
    const page& pg = inode.mapping.pages.at(page_index(off));
    if (pg.data) std::copy(pg.data->begin(), pg.data->end(), buf->begin() + (off - start));
  }
  if (!inode.nodatasum()) oe.sums.push_back(btrfs_csum_one_bio(logical, *buf));  // btrfs_csum_one_bio
  auto bio = std::make_shared<btrfs_bio>();
  bio->op = map_op::write;
  bio->logical = logical;
  bio->len = end - start;
  bio->buf = std::move(buf);
  bio->what = "end_bio_extent_writepage";
  bio->end_io_declares_footprint = true;  // its end_io opens its own scope, below
  const uint64_t root = inode.root, ino = inode.ino, first = page_index(start), last = page_index(end - 1);
  const uint64_t bytes = end - start;
  bio->end_io = [&fs_info, root, ino, first, last, id, bytes](btrfs_bio& done) {
    // end_bio_extent_writepage: the inode's life (btrfs_iget finds its cache entry) and mapping (its
    // pages' writeback bits; page_waiters is a primitive), the ordered extent (btrfs_dec_test_ordered_pending:
    // bytes_left, flags, the reference for the finish work: fs_info.ordered_extents); its WARN and
    // model checks end the execution; btrfs_queue_finish_ordered_io only spawns the worker (its steps
    // are its own: btrfs_finish_ordered_io opens its scope first thing).
    sched::FootprintScope scope(sched::declared()
                                    .reads_from(fp::inode(root, ino, fp::inode_part::life))
                                    .writes_to(fp::inode(root, ino, fp::inode_part::mapping))
                                    .writes_to(fp::ordered_extents()));
    btrfs_inode* in = btrfs_iget(fs_info, root, ino);
    // btrfs_writepage_end_io_hook, then end_page_writeback.
    if (btrfs_dec_test_ordered_pending(fs_info, id, bytes, done.status == 0)) btrfs_queue_finish_ordered_io(fs_info, id);
    end_page_writeback_range(*in, first, last);
  };
  sched::FootprintScope submit(submit_claim(inode));
  btrfs_submit_bio(fs_info, std::move(bio));
}

}  // namespace

void fail_delalloc_range(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end, int err) {
  // The inode's delalloc and pages, the reservation given back, the delalloc lists, the log.
  sched::FootprintScope scope(writeback_claim(inode).writes_to(kKernelLog));
  btrfs_clear_extent_delalloc(fs_info, inode, start, end, true);
  for (uint64_t i = page_index(start); i <= page_index(end - 1); i++) inode.mapping.pages[i].dirty = false;
  fs_info.log(fmt::format("BTRFS error: writeback of ino {} [{}, {}) failed: {}", inode.ino, start, end, err));
}

void clear_delalloc_after_ordered(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end,
                                  bool clear_data_resv) {
  sched::point(sched::L("extent_clear_unlock_delalloc(ino {} off {})", inode.ino, start));
  btrfs_clear_extent_delalloc(fs_info, inode, start, end, clear_data_resv);
}

int btrfs_reserve_data_extent(btrfs_fs_info& fs_info, uint64_t want, btrfs_key_ins& ins, bool delalloc) {
  for (uint64_t len = want;;) {  // halves each time: bounded by log2(want)
    const int ret = btrfs_reserve_extent(fs_info, BTRFS_BLOCK_GROUP_DATA, len, ins, delalloc);
    if (ret != -ENOSPC || len <= fs_info.sectorsize) return ret;
    len = std::max<uint64_t>(fs_info.sectorsize, len / 2 / fs_info.sectorsize * fs_info.sectorsize);
  }
}

int cow_file_range(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end) {
  for (uint64_t cur = start; cur < end;) {  // each pass consumes at least one sector
    btrfs_key_ins ins;
    int ret = 0;
    {
      // btrfs_reserve_data_extent's own code only retries with halved sizes (locals, the sector size);
      // btrfs_reserve_extent opens its own scope first thing, and an undeclared one around a chunk
      // allocation (in a joined transaction): this scope claims nothing.
      sched::FootprintScope alloc(sched::declared());
      ret = btrfs_reserve_data_extent(fs_info, std::min(end - cur, BTRFS_MAX_EXTENT_SIZE), ins, true);
    }
    if (ret) {
      fail_delalloc_range(fs_info, inode, cur, end, ret);
      return ret;
    }
    const uint64_t len = ins.offset;
    create_io_em(inode, cur, len, ins.objectid, false);
    btrfs_add_ordered_extent(fs_info, inode, cur, ins.objectid, len, len, 0);
    // 9cfa3e34e20e: the ordered extent exists now; relocation may stop waiting for this reservation.
    btrfs_dec_block_group_reservations(fs_info, ins.objectid);
    btrfs_data_sinfo(fs_info).unreserved_cow_bytes += delalloc_noreserve_bytes(inode, cur, cur + len);
    clear_delalloc_after_ordered(fs_info, inode, cur, cur + len, false);
    fs_info.data_stats.cow_extents++;
    cur += len;
  }
  return 0;
}

// fallback_to_cow: a range of a nocow inode that must be COWed. Its EXTENT_NORESERVE bytes were written
// without a data reservation (btrfs_check_nocow_lock admitted them); cow_file_range's allocation takes
// their size off bytes_may_use in btrfs_add_reserved_bytes. 467dc47ea99c adds them to bytes_may_use
// first and clears EXTENT_NORESERVE, so an error path gives them back (EXTENT_CLEAR_DATA_RESV).
int fallback_to_cow(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end) {
  if (fs_info.fixes.has("467dc47ea99c")) {
    const uint64_t count = delalloc_noreserve_bytes(inode, start, end);
    if (count > 0) {
      btrfs_space_info_update_bytes_may_use(fs_info, btrfs_data_sinfo(fs_info), int64_t(count), "fallback_to_cow");
      inode.io_tree.noreserve.remove(start, end);
    }
  }
  return cow_file_range(fs_info, inode, start, end);
}

int run_delalloc_range(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end) {
  if (inode.flags & (BTRFS_INODE_NODATACOW | BTRFS_INODE_PREALLOC)) {
    // Walks the subvolume's tree, the extent tree, the csum tree: not audited.
    sched::FootprintScope nocow(sched::Footprint{});
    return run_delalloc_nocow(fs_info, inode, start, end, (inode.flags & BTRFS_INODE_NODATACOW) != 0);
  }
  return cow_file_range(fs_info, inode, start, end);
}

int extent_writepages(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end, wb_sync_mode mode) {
  // writeback_claim covers the loop and its callees but the allocator and nocow writeback (own scopes).
  sched::FootprintScope scope(writeback_claim(inode));
  auto& pages = inode.mapping.pages;
  const uint64_t last_index = end == ~0ull ? ~0ull : page_index(end - 1);
  if (end <= start) return 0;
  int ret = 0;
  uint64_t index = page_index(start);
  // extent_write_cache_pages: each pass handles at least the page at `index` and moves past it.
  for (size_t pass = 0; pass < (1u << 22); pass++) {
    auto it = pages.lower_bound(index);
    while (it != pages.end() && it->first <= last_index && !it->second.dirty) ++it;
    if (it == pages.end() || it->first > last_index) break;
    const uint64_t i = it->first;
    lock_pages(inode, i, i, "lock_page(ino {} index {})");
    page& pg = pages[i];
    if (!pg.dirty || (pg.writeback && mode == wb_sync_mode::none)) {  // written meanwhile, or a flush
      unlock_pages(inode, i, i);
      index = i + 1;
      continue;
    }
    if (pg.writeback) wait_on_page_writeback_range(inode, i, i);
    const uint64_t pos = page_offset(i);
    auto range = inode.io_tree.delalloc.first_from(pos);
    FSRACE_MODEL_CHECK(range && range->first <= pos, "ino {}: dirty page {} without delalloc", inode.ino, i);
    // writepage_delalloc -> find_lock_delalloc_range: the delalloc range around the page, its other
    // pages locked too; if one of them is locked by someone else, just this page (-EAGAIN retry).
    uint64_t ds = pos - range->first >= BTRFS_MAX_EXTENT_SIZE ? pos : range->first;
    uint64_t de = std::min(range->second, ds + BTRFS_MAX_EXTENT_SIZE);
    uint64_t ps = page_index(ds), pe = page_index(de - 1);
    bool others_free = true;
    for (auto p = pages.lower_bound(ps); p != pages.end() && p->first <= pe; ++p)
      if (p->first != i && p->second.locked) others_free = false;
    if (!others_free) {
      ds = pos;
      de = pos + PAGE_SIZE;
      ps = pe = i;
    }
    for (uint64_t p = ps; p <= pe; p++) pages[p].locked = true;
    lock_extent(fs_info, inode, ds, de);
    const int r = run_delalloc_range(fs_info, inode, ds, de);
    unlock_extent(inode, ds, de);
    if (r) ret = r;
    // __extent_writepage_io: every page that got an ordered extent goes under writeback, then is
    // unlocked; the bios (one per ordered extent) are submitted after (flush_epd_write_bio). Pages of
    // a failed range were already dropped (fail_range).
    struct pending_bio { uint64_t id, start, end; };
    std::vector<pending_bio> bios;
    for (uint64_t off = ds; off < de;) {
      const uint64_t id = btrfs_ordered_at(fs_info, inode, off);
      if (id == 0) {
        FSRACE_MODEL_CHECK(r != 0 && !pages[page_index(off)].dirty, "ino {} offset {}: written without an ordered extent",
                      inode.ino, off);
        off += PAGE_SIZE;
        continue;
      }
      const uint64_t stop = std::min(de, fs_info.ordered_extents.at(id).end());
      bios.push_back({id, off, stop});
      for (uint64_t p = page_index(off); p <= page_index(stop - 1); p++) {
        pages[p].dirty = false;
        pages[p].writeback = true;
      }
      off = stop;
    }
    for (const auto& b : bios) submit_write_bio(fs_info, inode, b.id, b.start, b.end);
    unlock_pages(inode, ps, pe);
    index = pe + 1;
  }
  return ret;
}

int btrfs_fdatawrite_range(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end) {
  return extent_writepages(fs_info, inode, start, end, wb_sync_mode::all);
}

void filemap_fdatawait_range(btrfs_inode& inode, uint64_t start, uint64_t end) {
  if (end <= start) return;
  wait_on_page_writeback_range(inode, page_index(start), end == ~0ull ? ~0ull : page_index(end - 1));
}

int filemap_write_and_wait_range(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end) {
  const int ret = btrfs_fdatawrite_range(fs_info, inode, start, end);
  filemap_fdatawait_range(inode, start, end);
  return ret;
}

}  // namespace fsrace::model
