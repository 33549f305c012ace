// Clone and dedupe (fs/btrfs/reflink.c btrfs_remap_file_range, with the VFS checks of
// generic_remap_file_range_prep): file ranges that share extents. The destination's file extent items
// point at the source's extents, each with a data reference of its own (btrfs_inc_extent_ref through
// delayed refs), so the extent items count every file that maps them.
#pragma once
#include <cstdint>
#include <string_view>

namespace fsrace::model {

struct btrfs_fs_info;
struct btrfs_inode;

// BTRFS_MAX_DEDUPE_LEN: btrfs_extent_same works in pieces of at most this many bytes.
constexpr uint64_t BTRFS_MAX_DEDUPE_LEN = 16ull << 20;

// btrfs_remap_file_range: FICLONERANGE (dedupe false, remap_flags 0) or one destination of
// FIDEDUPERANGE (dedupe true, REMAP_FILE_DEDUP | REMAP_FILE_CAN_SHORTEN) of `len` bytes (len 0: clone
// to the source's end of file; a dedupe of 0 bytes does nothing). Returns the bytes remapped or a
// negative errno: -EINVAL (unaligned offsets, overlapping ranges of one file, a source range past its
// end of file, a NODATASUM mismatch), -EROFS (clone into a read-only subvolume), -EBADE (dedupe of
// ranges whose bytes differ: the ioctl's FILE_DEDUPE_RANGE_DIFFERS), -EAGAIN (dedupe into a root
// that send is using, 62d54f3a7fa2). `origin` names the call for the data oracle.
int64_t btrfs_remap_file_range(btrfs_fs_info& fs_info, btrfs_inode& src, uint64_t off, btrfs_inode& dst,
                               uint64_t destoff, uint64_t len, bool dedupe, std::string_view origin);

}  // namespace fsrace::model
