// Completion of a tree block read: end_bio_extent_readpage with the btree inode's hooks
// (btree_readpage_end_io_hook, the read error path), run in the bio's "endio" fiber.
#pragma once
#include <cstdint>
#include <vector>

namespace fsrace::model {

struct btrfs_fs_info;
struct btrfs_bio;

// For each page of the bio, in order: the buffer hook (the last page of a buffer verifies the block
// and marks it uptodate), then PageUptodate or PageError, then unlock_page.
void end_bio_extent_readpage(btrfs_fs_info& fs_info, btrfs_bio& bio, const std::vector<uint64_t>& page_indexes);

}  // namespace fsrace::model
