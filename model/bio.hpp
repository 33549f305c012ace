// Asynchronous bios: btrfs_submit_bio maps the IO at submission (btrfs_map_bio) and returns; the
// device transfer and the end_io callback run later in a completion fiber ("endio"), so completion
// interleaves with everything else, as the kernel's end_io workers do.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "model/tree_block.hpp"
#include "model/volumes.hpp"

namespace fsrace::model {

struct btrfs_bio {
  map_op op = map_op::read;
  uint64_t logical = 0;
  uint64_t len = 0;
  int mirror_num = 0;                          // reads: 0 = first usable mirror
  std::shared_ptr<std::vector<uint8_t>> buf;   // write payload / read destination (len bytes)
  tree_block_ptr block;                        // or, for a tree block write (write_one_eb), its image
  std::vector<btrfs_bio_stripe> stripes;       // filled by btrfs_map_bio at submission
  int status = 0;                              // 0 or -EIO / -EINVAL, set before end_io
  std::function<void(btrfs_bio&)> end_io;      // runs in the completion fiber
  // Set by the submitter when end_io opens a FootprintScope of its own, first thing, whose claim covers
  // everything end_io and its callees touch (scheduler/footprint.hpp); otherwise the completion fiber
  // runs end_io undeclared (dependent on every step).
  bool end_io_declares_footprint = false;
  const char* what = "bio";                    // static label text for traces
};
using btrfs_bio_ptr = std::shared_ptr<btrfs_bio>;

// Maps and queues the bio; the completion fiber performs the transfer on every stripe then calls
// end_io. A mapping failure completes the bio with that status (still asynchronously).
void btrfs_submit_bio(btrfs_fs_info& fs_info, btrfs_bio_ptr bio);
// Synchronous helpers (submit + wait), for code paths that wait on the IO anyway.
int btrfs_read_sync(btrfs_fs_info& fs_info, uint64_t logical, uint64_t len, int mirror_num, std::vector<uint8_t>& out);
int btrfs_write_sync(btrfs_fs_info& fs_info, uint64_t logical, std::shared_ptr<std::vector<uint8_t>> data);
// Physical IO on one stripe (used by the completion fiber and by scrub/replace copying stripes).
int btrfs_dev_read(btrfs_fs_info& fs_info, const btrfs_bio_stripe& s, uint64_t len, uint8_t* out);
int btrfs_dev_write(btrfs_fs_info& fs_info, const btrfs_bio_stripe& s, uint64_t len, const uint8_t* data);
int btrfs_dev_write_tree_block(btrfs_fs_info& fs_info, const btrfs_bio_stripe& s, const tree_block_ptr& block);

}  // namespace fsrace::model
