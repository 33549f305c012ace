// A struct page of the btree inode's page cache (named btree_page: model/data's struct page is the
// file data page), with the page lock (PG_locked), the page flags the extent buffer code reads, page
// private and the reference count. The page lock has no owner: end_io unlocks pages a reader locked.
#pragma once
#include <cstdint>
#include <memory>

#include "model/data/page_cache.hpp"  // PAGE_SIZE, PAGE_SHIFT
#include "scheduler/sync/blocking.hpp"

namespace fsrace::model {


struct btree_page {
  uint64_t index = 0;        // page->index in the btree inode: bytenr >> PAGE_SHIFT
  bool locked = false;       // PG_locked
  bool uptodate = false;     // PG_uptodate
  bool dirty = false;        // PG_dirty
  bool writeback = false;    // PG_writeback
  bool error = false;        // PG_error
  bool mapped = true;        // page->mapping != NULL: still in the page cache
  uint64_t private_eb = 0;   // page->private: id of the attached extent buffer, 0 when !PagePrivate
  int refcount = 0;          // page_ref_count: the cache's, the eb's, page private's, transient lookups
  sched::WaitList waiters;   // fibers sleeping on PG_locked (lock_page, wait_on_page_locked)

  btree_page() = default;
  btree_page(const btree_page&) = default;  // WaitList copies no waiters
  btree_page& operator=(const btree_page&) = default;
};
using btree_page_ptr = std::shared_ptr<btree_page>;

// lock_page: sleeps until PG_locked is clear, then sets it (scheduling point "lock_page(btree page N)").
void lock_page(btree_page& p);
// trylock_page: sets PG_locked if clear; false if someone holds it.
bool trylock_page(btree_page& p);
// unlock_page: clears PG_locked and wakes sleepers (not a scheduling point: see spinlock.hpp).
void unlock_page(btree_page& p);
// wait_on_page_locked: sleeps until PG_locked is clear, without taking it.
void wait_on_page_locked(btree_page& p);

// get_page / put_page: the page's reference count (each opens its own footprint scope: page.cpp).
void get_page(btree_page& p);
void put_page(btree_page& p);

}  // namespace fsrace::model
