// Buffered reads as 6.1's readahead runs them: asynchronous read bios whose end_io, in a completion
// fiber, unlocks the pages and then the io tree range (readahead.cpp).
#pragma once
#include <cstdint>
#include <vector>

#include "model/data/btrfs_inode.hpp"

namespace fsrace::model {

struct btrfs_fs_info;

// extent_readahead over pages [first, last], which the caller locked: the pages not uptodate are read by
// bios that complete later; each page is unlocked when its read ends.
void btrfs_readahead(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t first, uint64_t last);
// filemap_read with readahead: the missing pages of [pos, pos + len) (clamped at i_size) read ahead, then
// each page waited for while locked and copied out. Bytes read, or -EIO for a page whose read failed.
int64_t filemap_read_readahead(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t pos, uint64_t len,
                               std::vector<uint8_t>& out);

}  // namespace fsrace::model
