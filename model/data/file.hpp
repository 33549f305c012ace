// What user space calls on a file (fs/btrfs/file.c and inode.c): buffered and direct writes,
// fallocate, fsync, sync, reads. Every call returns 0 / a byte count or a negative errno, like the
// kernel's return to user space. `origin` names the operation for the data oracle's reports.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "model/data/btrfs_inode.hpp"

namespace fsrace::model {

struct btrfs_fs_info;

// btrfs_file_write_iter -> __btrfs_buffered_write: copies into locked pages, marks them dirty and the
// range delalloc (btrfs_dirty_pages). Waits for ordered extents in the range first. Returns 0.
int btrfs_buffered_write(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t pos, std::span<const uint8_t> data,
                         std::string_view origin);
// O_DIRECT write (__btrfs_direct_write -> btrfs_direct_IO): pos and length must be sector aligned
// (-EINVAL). Nocow into prealloc extents and nodatacow files when can_nocow_extent allows, else
// btrfs_new_extent_direct. Falls back to buffered writes for what direct IO refuses (-ENOTBLK).
int btrfs_direct_write(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t pos, std::span<const uint8_t> data,
                       std::string_view origin);
// btrfs_fallocate (mode 0 or FALLOC_FL_KEEP_SIZE): prealloc extents over the holes of the range.
int btrfs_fallocate(btrfs_fs_info& fs_info, btrfs_inode& inode, bool keep_size, uint64_t offset, uint64_t len,
                    std::string_view origin);
// btrfs_sync_file: writes out and waits for the range, then commits the transaction (the model has
// no log tree: a full commit is the kernel's fallback when it cannot log). 0 or -EIO.
int btrfs_sync_file(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end);
// sync(2): flush all delalloc, wait for all ordered extents, commit (btrfs_sync_fs).
int btrfs_sync_fs(btrfs_fs_info& fs_info);
// read(2): buffered (page cache, reading missing pages) or O_DIRECT (from disk after writing back
// the range). Returns the bytes read (short at i_size) into `out`, or -EIO when a sector fails its
// checksum on every mirror. A sector whose logical address maps to no chunk is the kernel's
// "unable to find logical" BUG (btrfs_merge_bio_hook).
int64_t btrfs_file_read(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t pos, uint64_t len, bool direct,
                        std::vector<uint8_t>& out);

}  // namespace fsrace::model
