// struct extent_buffer (fs/btrfs/extent_io.h): the in-memory copy of one tree block, made of pages of
// the btree inode, with its reference count, flag bits and count of pages under read IO.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/extent_io/spinlock.hpp"
#include "scheduler/sync/blocking.hpp"
#include "model/tree_block.hpp"

namespace fsrace::model {

// eb->bflags bits, in the kernel's order.
enum extent_buffer_flag : uint32_t {
  EXTENT_BUFFER_UPTODATE,
  EXTENT_BUFFER_DIRTY,
  EXTENT_BUFFER_CORRUPT,
  EXTENT_BUFFER_READAHEAD,  // read started by readahead; end_io calls the readahead hook
  EXTENT_BUFFER_TREE_REF,   // the buffer cache's (radix tree's) reference is counted in refs
  EXTENT_BUFFER_STALE,
  EXTENT_BUFFER_WRITEBACK,
  EXTENT_BUFFER_READ_ERR,
  EXTENT_BUFFER_UNMAPPED,
  EXTENT_BUFFER_IN_TREE,
  EXTENT_BUFFER_WRITE_ERR,
};
std::string describe_bflags(uint32_t bflags);  // "UPTODATE|TREE_REF|IN_TREE"

// read_extent_buffer_pages wait modes.
enum { WAIT_NONE = 0, WAIT_COMPLETE = 1, WAIT_PAGE_LOCK = 2 };

struct extent_buffer {
  uint64_t id = 0;      // identity (the kernel's eb pointer): allocation order within the execution
  uint64_t start = 0;   // logical bytenr
  uint64_t len = 0;     // nodesize
  // atomic_t refs. Read and changed with lock-free atomics by find_extent_buffer and
  // check_buffer_tree_ref, and under refs_lock by the release paths: every access is a scheduling point.
  int64_t refs = 1;
  eb_spinlock refs_lock{"eb->refs_lock"};
  uint32_t bflags = 0;
  int64_t io_pages = 0;               // atomic_t io_pages: pages of this buffer under read or write IO
  int read_mirror = 0;
  std::vector<uint64_t> pages;        // eb->pages[]: indexes into the btree inode's page cache
  tree_block_ptr block;               // the content, once read (uptodate) or given
  bool freed = false;                 // returned to the allocator: any further use is a use-after-free
  sched::WaitList writeback_waiters;  // wait_on_bit_io(&eb->bflags, EXTENT_BUFFER_WRITEBACK): copies hold none

  bool test_bit(extent_buffer_flag f) const { return bflags & (1u << f); }
  void set_bit(extent_buffer_flag f) { bflags |= 1u << f; }
  void clear_bit(extent_buffer_flag f) { bflags &= ~(1u << f); }
  bool test_and_set_bit(extent_buffer_flag f) {
    const bool was = test_bit(f);
    set_bit(f);
    return was;
  }
  bool test_and_clear_bit(extent_buffer_flag f) {
    const bool was = test_bit(f);
    clear_bit(f);
    return was;
  }
  uint32_t num_extent_pages() const { return uint32_t(pages.size()); }
};
using extent_buffer_ptr = std::shared_ptr<extent_buffer>;

// extent_buffer_under_io: pages under read IO, or dirty, or under writeback. Such a buffer must never
// be freed.
inline bool extent_buffer_under_io(const extent_buffer& eb) {
  return eb.io_pages != 0 || eb.test_bit(EXTENT_BUFFER_WRITEBACK) || eb.test_bit(EXTENT_BUFFER_DIRTY);
}

}  // namespace fsrace::model
