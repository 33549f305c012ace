// Page cache operations of the data paths: find_or_create_page, lock_page / unlock_page on runs of
// pages, wait_on_page_writeback, end_page_writeback. Locking a run of pages is one step: it sleeps
// until none of them is locked, then locks them all (the kernel locks them one by one in ascending
// order; doing it at once keeps the same exclusion with fewer scheduling points).
#pragma once
#include <cstdint>

#include "model/data/btrfs_inode.hpp"

namespace fsrace::model {

// Locks pages [first, last] (creating missing ones, not uptodate). `why` is a label literal with {} for
// ino and first index, e.g. "prepare_pages(ino {} index {})".
void lock_pages(btrfs_inode& inode, uint64_t first, uint64_t last, const char* why);
void unlock_pages(btrfs_inode& inode, uint64_t first, uint64_t last);
// Sleeps until no page in [first, last] is under writeback.
void wait_on_page_writeback_range(btrfs_inode& inode, uint64_t first, uint64_t last);
// end_page_writeback for every page of [first, last] (bio completion).
void end_page_writeback_range(btrfs_inode& inode, uint64_t first, uint64_t last);
// A writable copy of a page's bytes (zero-filled if it had none).
page_data& page_make_private(page& pg);

}  // namespace fsrace::model
