// The data read path below the page cache (extent_io.c __do_readpage / end_bio_extent_readpage,
// inode.c btrfs_get_extent / check_data_csum, the repair of bad copies from a good mirror). The same
// sector reader serves fibers (async bios, scheduling points) and the end-of-run oracle check
// (direct device reads, no scheduling points).
#pragma once
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "model/data/btrfs_inode.hpp"

namespace fsrace::model {

struct btrfs_fs_info;

// What btrfs_get_extent says about one file offset.
struct data_mapping {
  enum kind_t { hole, prealloc, regular, pinned } kind = hole;
  uint64_t start = 0, len = 0;  // the file range it describes, containing the offset
  uint64_t block_start = 0;     // disk bytenr of `start` (regular, prealloc, pinned)
};
// btrfs_get_extent for reads and direct IO: a pinned extent map (write in flight) first, else the file
// extent items of the current tree. No scheduling point (callers label the lookup).
data_mapping btrfs_get_extent(btrfs_fs_info& fs_info, const btrfs_inode& inode, uint64_t offset);

// Outcome of reading sectors of a file from disk.
struct data_read_result {
  int err = 0;                 // 0, -EIO (checksum failed on every mirror), -EINVAL (unmapped logical)
  uint64_t bad_offset = 0;     // file offset of the first failing sector
  std::string detail;          // what failed ("csum failed ... mirror 1 ...", "unable to find logical ...")
};
// Reads [pos, pos + out.size()) (sector aligned) of the file from disk through its extents, verifying
// checksums and repairing a bad copy from a good mirror. in_fiber: bios and scheduling points; else
// synchronous device reads without repair writes (for checkers).
data_read_result btrfs_read_file_extents(btrfs_fs_info& fs_info, const btrfs_inode& inode, uint64_t pos,
                                         std::span<uint8_t> out, bool in_fiber);

// The pieces of a data read bio that a caller submitting its own bio uses (direct IO reads):
// btrfs_lookup_bio_sums before submission (a scheduling point; none for NODATASUM inodes), the
// "unable to find logical" BUG of a bio no chunk maps, and the end of the bio (btrfs_check_read_dio_bio):
// `data` as the bio read it (status: its error), each sector verified, the other mirrors tried for bad
// ones and the bad copies rewritten (repair_io_failure). Runs in a fiber (the bio's completion).
std::map<uint64_t, uint32_t> btrfs_lookup_bio_sums(btrfs_fs_info& fs_info, const btrfs_inode& inode, uint64_t logical,
                                                   uint64_t len);
void btrfs_check_data_bio_mapped(btrfs_fs_info& fs_info, const btrfs_inode& inode, uint64_t file_pos, uint64_t logical,
                                 uint64_t len);
data_read_result btrfs_check_read_bio(btrfs_fs_info& fs_info, const btrfs_inode& inode, uint64_t file_pos,
                                      uint64_t logical, std::span<uint8_t> data,
                                      const std::map<uint64_t, uint32_t>& csums, int status);

// The part of page `index` inside the read [pos, pos + len) copied into out (out[0] is pos): its
// cached bytes, or zeroes for a page without data (a hole).
void copy_page_to_buffer(const page& pg, uint64_t index, uint64_t pos, uint64_t len, std::vector<uint8_t>& out);

}  // namespace fsrace::model
