// The page cache of one file (inode->i_mapping): 4 KiB pages by index with the page flags the write
// and read paths use. Page contents are shared immutable buffers, so cloning a file's cache copies
// pointers, not bytes.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <memory>

namespace fsrace::model {

constexpr uint64_t PAGE_SIZE = 4096;
constexpr uint64_t PAGE_SHIFT = 12;
using page_data = std::array<uint8_t, PAGE_SIZE>;
using page_data_ptr = std::shared_ptr<const page_data>;

struct page {
  page_data_ptr data;      // null: all zeros
  bool uptodate = false;   // PageUptodate: data is the file's content
  bool dirty = false;      // PageDirty: modified, not yet under writeback
  bool writeback = false;  // PageWriteback: a write bio covers it
  bool locked = false;     // PG_locked (lock_page / unlock_page)
};

struct address_space {
  std::map<uint64_t, page> pages;  // by index (file offset >> PAGE_SHIFT)
};

inline uint64_t page_index(uint64_t offset) { return offset >> PAGE_SHIFT; }
inline uint64_t page_offset(uint64_t index) { return index << PAGE_SHIFT; }
inline uint64_t round_down_page(uint64_t x) { return x & ~(PAGE_SIZE - 1); }
inline uint64_t round_up_page(uint64_t x) { return (x + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1); }

}  // namespace fsrace::model
