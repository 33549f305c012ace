#include "model/data/page_lock.hpp"

#include <algorithm>

#include "model/data/wait.hpp"

namespace fsrace::model {

void lock_pages(btrfs_inode& inode, uint64_t first, uint64_t last, const char* why) {
  auto& pages = inode.mapping.pages;
  wait_until(inode.page_waiters, sched::L(why, inode.ino, first), [&] {
    for (auto it = pages.lower_bound(first); it != pages.end() && it->first <= last; ++it)
      if (it->second.locked) return false;
    return true;
  });
  for (uint64_t i = first; i <= last; i++) pages[i].locked = true;
}

void unlock_pages(btrfs_inode& inode, uint64_t first, uint64_t last) {
  auto& pages = inode.mapping.pages;
  for (auto it = pages.lower_bound(first); it != pages.end() && it->first <= last; ++it) it->second.locked = false;
  inode.page_waiters.wake_all();
}

void wait_on_page_writeback_range(btrfs_inode& inode, uint64_t first, uint64_t last) {
  auto& pages = inode.mapping.pages;
  auto under_writeback = [&] {
    for (auto it = pages.lower_bound(first); it != pages.end() && it->first <= last; ++it)
      if (it->second.writeback) return true;
    return false;
  };
  if (!under_writeback()) return;  // nothing to wait for: no scheduling point
  wait_until(inode.page_waiters, sched::L("wait_on_page_writeback(ino {} index {})", inode.ino, first), [&] { return !under_writeback(); });
}

void end_page_writeback_range(btrfs_inode& inode, uint64_t first, uint64_t last) {
  auto& pages = inode.mapping.pages;
  for (auto it = pages.lower_bound(first); it != pages.end() && it->first <= last; ++it) it->second.writeback = false;
  inode.page_waiters.wake_all();
}

page_data& page_make_private(page& pg) {
  auto copy = pg.data ? std::make_shared<page_data>(*pg.data) : std::make_shared<page_data>();
  if (!pg.data) copy->fill(0);
  page_data& ref = *copy;
  pg.data = std::move(copy);
  return ref;
}

}  // namespace fsrace::model
