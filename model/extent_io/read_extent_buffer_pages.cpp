// read_extent_buffer_pages (fs/btrfs/extent_io.c): lock the buffer's pages (trylock for readahead),
// count the pages to read in io_pages and submit one read bio; its completion runs in an "endio"
// fiber (end_io.cpp). With fix 6bf9cd2eed9a the tree reference is re-checked once io_pages is set,
// the first moment at which releasepage can no longer clear it.
#include <cerrno>

#include "model/bio.hpp"
#include "model/extent_io/eb_footprints.hpp"
#include "model/extent_io/eb_internal.hpp"
#include "model/extent_io/end_io.hpp"
#include "model/extent_io/extent_io.hpp"
#include "model/fs_info.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

int unlock_exit(btrfs_fs_info& fs_info, extent_buffer& eb, size_t locked_pages, int ret) {
  while (locked_pages > 0) unlock_page(btree_page_at(fs_info, eb.pages[--locked_pages]));
  return ret;
}

void submit_extent_buffer_read(btrfs_fs_info& fs_info, extent_buffer& eb, std::vector<uint64_t> to_read,
                               int mirror_num) {
  auto bio = std::make_shared<btrfs_bio>();
  bio->op = map_op::read;
  bio->logical = eb.start;
  bio->len = eb.len;
  bio->mirror_num = mirror_num;
  bio->buf = std::make_shared<std::vector<uint8_t>>(eb.len);
  bio->what = "btree read";
  btrfs_fs_info* fs = &fs_info;
  bio->end_io = [fs, pages = std::move(to_read)](btrfs_bio& done) { end_bio_extent_readpage(*fs, done, pages); };
  bio->end_io_declares_footprint = true;  // end_bio_extent_readpage opens its own scopes (end_io.cpp)
  btrfs_submit_bio(fs_info, std::move(bio));
}

}  // namespace

int read_extent_buffer_pages(btrfs_fs_info& fs_info, extent_buffer& eb, int wait, int mirror_num) {
  eb_check_alive(eb, "read_extent_buffer_pages");
  {
    // Complete: the buffer's UPTODATE, read.
    sched::FootprintScope scope(ebfp::buffer(eb.start, false));
    // test_bit(UPTODATE) is read in the step of our previous access: end_io sets it before unlocking the
    // pages, so a reader seeing it clear only finds the pages uptodate once it holds their locks.
    if (eb.test_bit(EXTENT_BUFFER_UPTODATE)) return 0;
  }
  // Complete for the code run while it is innermost from here: its pages' PG_uptodate, read (pages[],
  // start and len never change: eb_footprints.hpp); the writes are in nested scopes below; the page
  // primitives, btree_page_at, check_buffer_tree_ref and btrfs_submit_bio open their own scopes. The bio
  // is ours until submitted.
  sched::Footprint read_claim = sched::declared();
  for (uint64_t index : eb.pages) ebfp::page(read_claim, index, false);
  sched::FootprintScope scope(read_claim);

  size_t locked_pages = 0;
  for (uint64_t index : eb.pages) {
    btree_page& p = btree_page_at(fs_info, index);
    if (wait == WAIT_NONE) {
      if (!trylock_page(p)) return unlock_exit(fs_info, eb, locked_pages, 0);  // not an error: readahead
    } else {
      lock_page(p);
    }
    ++locked_pages;
  }
  // With every page locked, clear_extent_buffer_uptodate cannot change their uptodate bits under us.
  std::vector<uint64_t> to_read;
  for (uint64_t index : eb.pages)
    if (!btree_page_at(fs_info, index).uptodate) to_read.push_back(index);
  if (to_read.empty()) {
    sched::FootprintScope write(ebfp::buffer(eb.start, true));  // UPTODATE; unlock_exit's unlock_page: own scope
    eb.set_bit(EXTENT_BUFFER_UPTODATE);
    return unlock_exit(fs_info, eb, locked_pages, 0);
  }

  {
    // Complete: the buffer's READ_ERR, read_mirror and io_pages, its pages' PG_error (written).
    sched::Footprint write_claim = ebfp::buffer(eb.start, true);
    for (uint64_t index : eb.pages) ebfp::page(write_claim, index, true);
    sched::FootprintScope write(write_claim);
    eb.clear_bit(EXTENT_BUFFER_READ_ERR);
    eb.read_mirror = 0;
    sched::point(sched::L("atomic_set(eb {} io_pages {})", eb.start, to_read.size()));
    eb.io_pages = int64_t(to_read.size());
    // 6bf9cd2eed9a: releasepage may have cleared TREE_REF before io_pages was set; from now on it cannot.
    if (fs_info.fixes.has("6bf9cd2eed9a")) check_buffer_tree_ref(fs_info, eb);

    for (uint64_t index : eb.pages) {
      btree_page& p = btree_page_at(fs_info, index);
      if (p.uptodate) unlock_page(p); else p.error = false;  // ClearPageError: it goes into the bio
    }
  }
  submit_extent_buffer_read(fs_info, eb, to_read, mirror_num);
  if (wait != WAIT_COMPLETE) return 0;

  int ret = 0;
  for (uint64_t index : eb.pages) {
    btree_page& p = btree_page_at(fs_info, index);
    wait_on_page_locked(p);
    if (!p.uptodate) ret = -EIO;
  }
  return ret;
}

}  // namespace fsrace::model
