// The extent buffer cache of the btree inode (fs/btrfs/extent_io.c, disk-io.c of v5.7/v5.8) and the
// page reclaim that races with it. Callers hold an extent_buffer_ptr for every reference they own
// (the kernel's struct extent_buffer *), and drop it with free_extent_buffer.
#pragma once
#include <cstdint>

#include "model/extent_io/extent_buffer.hpp"
#include "model/extent_io/page.hpp"

namespace fsrace::model {

struct btrfs_fs_info;

// --- the btree inode's page cache ---------------------------------------------------------------
// find_or_create_page: the page at `index`, locked, with a reference for the caller; created (and
// inserted locked) when absent.
btree_page_ptr find_or_create_page(btrfs_fs_info& fs_info, uint64_t index);
// find_get_page: the page at `index` with a reference, not locked; null when absent.
btree_page_ptr find_get_page(btrfs_fs_info& fs_info, uint64_t index);

// --- extent buffers -----------------------------------------------------------------------------
// find_extent_buffer: the buffer at `start` with a new reference (atomic_inc_not_zero), or null.
extent_buffer_ptr find_extent_buffer(btrfs_fs_info& fs_info, uint64_t start);
// alloc_extent_buffer: the cached buffer, or a new one attached to its pages and inserted in the
// radix tree with the tree reference (TREE_REF). Null with *err set on failure (-EINVAL bad start).
extent_buffer_ptr alloc_extent_buffer(btrfs_fs_info& fs_info, uint64_t start, int* err);
// check_buffer_tree_ref: makes sure TREE_REF is set and counted in refs.
void check_buffer_tree_ref(btrfs_fs_info& fs_info, extent_buffer& eb);
// free_extent_buffer / free_extent_buffer_stale: drop the caller's reference; the last one releases
// the buffer (release_extent_buffer), which must not be under IO.
void free_extent_buffer(btrfs_fs_info& fs_info, const extent_buffer_ptr& eb);
void free_extent_buffer_stale(btrfs_fs_info& fs_info, const extent_buffer_ptr& eb);
// read_extent_buffer_pages: reads the buffer's pages that are not uptodate with one bio. WAIT_NONE
// gives up (returns 0) when a page lock is taken; WAIT_COMPLETE waits for the IO and returns -EIO
// when a page did not become uptodate.
int read_extent_buffer_pages(btrfs_fs_info& fs_info, extent_buffer& eb, int wait, int mirror_num);

// --- tree blocks allocated and freed by the tree code (eb_tree_block.cpp) ------------------------
// The buffer in eb_tree at `start`, or null (no step, no reference).
extent_buffer_ptr cached_extent_buffer(btrfs_fs_info& fs_info, uint64_t start);
// The reference a path holds on a block of the running transaction it searched (the kernel took it in
// the search; the model's paths hold bytenrs): the buffer, materialised if need be, with one more
// reference, in no step of its own. Null when the block has no live buffer.
extent_buffer_ptr btrfs_path_extent_buffer(btrfs_fs_info& fs_info, uint64_t start);
// btrfs_clean_tree_block for a block of the running transaction: DIRTY cleared, pages clean.
void btrfs_clean_tree_block(btrfs_fs_info& fs_info, extent_buffer& eb);
// btrfs_mark_buffer_dirty / set_extent_buffer_dirty: pages dirty, DIRTY set.
void btrfs_mark_buffer_dirty(btrfs_fs_info& fs_info, extent_buffer& eb);
// btrfs_init_new_buffer for a newly reserved tree block: when a buffer of `start` is cached, take it
// (alloc_extent_buffer, through find_extent_buffer), clean it, clear STALE, set it uptodate and dirty,
// and return it with the caller's reference. Null when none is cached (the model makes it on demand)
// or with *err set.
extent_buffer_ptr btrfs_init_new_buffer(btrfs_fs_info& fs_info, uint64_t start, int* err);

// --- writeback (commit) -------------------------------------------------------------------------
// btree_write_cache_pages for one tree block: when it has a dirty extent buffer in memory,
// lock_extent_buffer_for_io + write_one_eb submit `block` (the image the commit writes) and return the
// buffer, under writeback until the bio completes; null when there is no dirty buffer (the caller
// writes the image itself).
extent_buffer_ptr btree_write_extent_buffer(btrfs_fs_info& fs_info, uint64_t bytenr, const tree_block_ptr& block);
// wait_on_extent_buffer_writeback: sleeps until EXTENT_BUFFER_WRITEBACK is clear.
void wait_on_extent_buffer_writeback(btrfs_fs_info& fs_info, extent_buffer& eb);

// --- page reclaim -------------------------------------------------------------------------------
// try_release_extent_buffer: releasepage of a page with private: frees its buffer if only the tree
// holds it (refs == 1) and it is not under IO. 1 = the page may be freed.
int try_release_extent_buffer(btrfs_fs_info& fs_info, btree_page& page);
// btree_releasepage: 0 for dirty or writeback pages, else try_release_extent_buffer.
int btree_releasepage(btrfs_fs_info& fs_info, btree_page& page);
// shrink_page_list for one page of the btree inode, as kswapd/direct reclaim does it: take a
// reference, trylock_page, releasepage, remove from the page cache, unlock. 1 = the page left the cache.
int shrink_btree_page(btrfs_fs_info& fs_info, uint64_t index);

// --- disk-io.c ------------------------------------------------------------------------------------
extent_buffer_ptr btrfs_find_create_tree_block(btrfs_fs_info& fs_info, uint64_t bytenr, int* err);
// readahead_tree_block: starts reading the block (WAIT_NONE) and drops the reference at once.
void readahead_tree_block(btrfs_fs_info& fs_info, uint64_t bytenr);
// btree_read_extent_buffer_pages: synchronous read with parent transid / level checks, trying every
// mirror. 0, -EIO or -EUCLEAN.
int btree_read_extent_buffer_pages(btrfs_fs_info& fs_info, extent_buffer& eb, uint64_t parent_transid, int level);
// The kernel's read_tree_block (disk-io.c) on extent buffers (the lead's read_tree_block in ctree.hpp
// is the content-cache read): a referenced, uptodate, verified buffer, or null with *err.
extent_buffer_ptr read_tree_block_eb(btrfs_fs_info& fs_info, uint64_t bytenr, uint64_t parent_transid, int level,
                                     int* err);

// Drops a tree block from memory as page reclaim would (every page of it through shrink_btree_page),
// so the next extent buffer read of it goes to a disk. fs_info.buffer_radix, the model's store of
// tree contents that the tree code and fsck read, is left alone. -EBUSY when the block stays in
// memory (referenced, dirty or under IO).
int evict_tree_block(btrfs_fs_info& fs_info, uint64_t bytenr);

}  // namespace fsrace::model
