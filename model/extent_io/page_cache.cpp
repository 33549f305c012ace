// The btree inode's page cache: lookups and insertion (mm/filemap.c as the extent buffer code uses it).
#include <fmt/format.h>

#include "model/extent_io/eb_footprints.hpp"
#include "model/extent_io/eb_internal.hpp"
#include "model/extent_io/extent_io.hpp"
#include "model/fs_info.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {

btree_page& btree_page_at(btrfs_fs_info& fs_info, uint64_t index) {
  sched::Footprint claim = sched::declared();
  sched::FootprintScope scope(ebfp::page(claim, index, false));  // complete: a look-up of the page's slot
  auto it = fs_info.btree_pages.find(index);
  FSRACE_MODEL_CHECK(it != fs_info.btree_pages.end(), "btree page {} is not in the page cache", index);
  return *it->second;
}

btree_page_ptr find_or_create_page(btrfs_fs_info& fs_info, uint64_t index) {
  for (;;) {  // retries only when the page left the cache while we slept on its lock
    sched::point(sched::L("find_or_create_page(btree index {})", index));
    // Complete: the page's slot in btree_pages (inserting a new page there) and the page (its flags,
    // lock, refcount); get_page and lock_page open their own scopes.
    sched::Footprint claim = sched::declared();
    sched::FootprintScope scope(ebfp::page(claim, index, true));
    auto it = fs_info.btree_pages.find(index);
    if (it == fs_info.btree_pages.end()) {
      // add_to_page_cache_lru inserts the new page locked: one reference for the cache, one for us.
      auto p = std::make_shared<btree_page>();
      p->index = index;
      p->locked = true;
      p->refcount = 2;
      fs_info.btree_pages.emplace(index, p);
      return p;
    }
    btree_page_ptr p = it->second;
    get_page(*p);
    // The lookup and an uncontended lock are one step: nobody can remove a page we hold a reference on.
    if (p->locked) lock_page(*p); else p->locked = true;
    if (p->mapped) return p;
    unlock_page(*p);
    put_page(*p);
  }
}

btree_page_ptr find_get_page(btrfs_fs_info& fs_info, uint64_t index) {
  sched::point(sched::L("find_get_page(btree index {})", index));
  // Complete: the page's slot and its refcount (get_page, own scope).
  sched::Footprint claim = sched::declared();
  sched::FootprintScope scope(ebfp::page(claim, index, true));
  auto it = fs_info.btree_pages.find(index);
  if (it == fs_info.btree_pages.end()) return nullptr;
  get_page(*it->second);
  return it->second;
}

}  // namespace fsrace::model
