// Helpers shared by the extent_io files (not for callers outside model/extent_io).
#pragma once
#include <cstdint>

#include "model/extent_io/extent_buffer.hpp"
#include "model/extent_io/page.hpp"

namespace fsrace::model {

struct btrfs_fs_info;

// The page at `index`; the caller knows it is in the page cache (it holds a reference on it).
btree_page& btree_page_at(btrfs_fs_info& fs_info, uint64_t index);
// The live buffer a page's private points to (BUG when it was freed: page private never outlives it).
extent_buffer_ptr eb_from_page_private(btrfs_fs_info& fs_info, const btree_page& p);
// BUG when `eb` was already freed: a use-after-free in the kernel.
void eb_check_alive(const extent_buffer& eb, const char* where);

// release_extent_buffer: called with eb->refs_lock held, which it releases. Drops one reference; the
// last one removes the buffer from the radix tree and frees it. Returns 1 when freed.
int release_extent_buffer(btrfs_fs_info& fs_info, const extent_buffer_ptr& eb);
// btrfs_release_extent_buffer_pages: detaches and puts the pages of a buffer being freed.
void btrfs_release_extent_buffer_pages(btrfs_fs_info& fs_info, extent_buffer& eb);
// __free_extent_buffer: returns the buffer to the allocator (poisons it).
void free_extent_buffer_memory(btrfs_fs_info& fs_info, extent_buffer& eb);

void mark_extent_buffer_accessed(btrfs_fs_info& fs_info, extent_buffer& eb);
void set_extent_buffer_uptodate(btrfs_fs_info& fs_info, extent_buffer& eb);
void clear_extent_buffer_uptodate(btrfs_fs_info& fs_info, extent_buffer& eb);

}  // namespace fsrace::model
