// struct btrfs_ordered_extent (fs/btrfs/ordered-data.h): a range of a file whose data is being
// written to a known disk location, from the time delalloc (or direct IO) picks the location until
// btrfs_finish_ordered_io has put the file extent item and the data reference in the running
// transaction. Ordered extents live in fs_info (by id) and are linked from the inode's ordered tree
// and the root's ordered list by id.
#pragma once
#include <cstdint>
#include <vector>

#include "scheduler/sync/blocking.hpp"

namespace fsrace::model {

enum : uint32_t {
  BTRFS_ORDERED_IO_DONE = 1u << 0,    // every byte's IO completed
  BTRFS_ORDERED_COMPLETE = 1u << 1,   // btrfs_finish_ordered_io is done with it
  BTRFS_ORDERED_NOCOW = 1u << 2,      // overwrite in place of a regular extent (nodatacow)
  BTRFS_ORDERED_PREALLOC = 1u << 4,   // write into a prealloc extent (in place)
  BTRFS_ORDERED_DIRECT = 1u << 5,     // created by direct IO
  BTRFS_ORDERED_IOERR = 1u << 6,      // a bio failed
};

// Checksums of written data (struct btrfs_ordered_sum): one per sector from `bytenr` on.
struct btrfs_ordered_sum {
  uint64_t bytenr = 0;
  std::vector<uint32_t> sums;
};

struct btrfs_ordered_extent {
  uint64_t id = 0;            // model: creation sequence number, the key everything refers to it by
  uint64_t root = 0, ino = 0; // the inode it belongs to
  uint64_t file_offset = 0;   // start in the file
  uint64_t start = 0;         // disk (logical) bytenr
  uint64_t len = 0;           // bytes of file covered
  uint64_t disk_len = 0;      // bytes on disk
  uint64_t bytes_left = 0;    // IO still pending
  uint32_t flags = 0;
  int refs = 1;               // the tree's reference, plus every task waiting on it
  std::vector<btrfs_ordered_sum> sums;  // added at bio submission, inserted into the csum tree at finish
  sched::WaitList wait;       // entry->wait: tasks waiting for BTRFS_ORDERED_COMPLETE

  uint64_t end() const { return file_offset + len; }
  bool test(uint32_t bit) const { return flags & bit; }
};

}  // namespace fsrace::model
