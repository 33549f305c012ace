// What a FIEMAP of a file range should report, computed from the file's state at one moment, and the
// comparison behind the fiemap_matches_file invariant. Independent of extent_fiemap's walk: the pieces
// come from the file extent items, delalloc and i_size at once, sharing from the file extent items of
// every subvolume. Pure computation, no scheduling points.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/data/fiemap.hpp"

namespace fsrace::model {

// A piece of the file as FIEMAP describes it, kind by kind.
struct fiemap_segment {
  enum class kind : uint8_t { data, unwritten, delalloc };
  kind k = kind::data;
  uint64_t start = 0, end = 0;  // file range [start, end)
  uint64_t phys = 0;            // disk address of `start` (data, unwritten; 0 for delalloc)
  int shared = 0;               // 1 shared, 0 not, -1 unknown: the file extent items and the references
                                // disagree at that moment (an edit between its item and its delayed ref)
  bool operator==(const fiemap_segment&) const = default;
};

struct fiemap_truth {
  std::vector<fiemap_segment> segments;  // in [range_start, range_end), merged where contiguous
  uint64_t data_end = 0;  // end of the last byte the file maps: an extent, or delalloc below i_size
  bool operator==(const fiemap_truth&) const = default;
};

// The truth for [range_start, range_end): regular extents as data; prealloc extents as unwritten where
// they hold no delalloc; delalloc (EXTENT_DELALLOC or a pinned extent map: a write in flight) inside holes
// and prealloc extents below i_size; delalloc over regular extents is not reported (6.1 reads those from
// their items only). Shared: the extent is referenced by file extent items of another subvolume, another
// inode or another offset of this inode.
fiemap_truth fiemap_truth_of(btrfs_fs_info& fs_info, const btrfs_inode& inode, uint64_t range_start,
                             uint64_t range_end);

// The result as segments of the same form (clipped to the range, merged where contiguous).
std::vector<fiemap_segment> fiemap_segments_of(const std::vector<fiemap_extent>& extents, uint64_t range_start,
                                               uint64_t range_end);

// Problems with a result against the truth: extents out of order or overlapping, pieces whose kind,
// disk address or sharing differ (sharing only where the truth knows it), FIEMAP_EXTENT_LAST on an
// extent the file maps data after, or missing on the last one when nothing follows and the result was
// not cut short by fi_extents_max. Empty: the result agrees.
std::vector<std::string> fiemap_check_result(const fiemap_truth& truth, const fiemap_extent_info& fi,
                                             uint64_t range_start, uint64_t range_end);

std::string describe(const fiemap_segment& s);

// One FIEMAP call of an execution, kept for the fiemap_matches_file invariant: the result and the truth
// when extent_fiemap took the inode lock and when it let go of it.
struct fiemap_call {
  std::string origin;  // the operation and thread
  std::string file;
  uint64_t range_start = 0, range_end = 0;  // as extent_fiemap rounds them
  int ret = 0;
  fiemap_extent_info result;  // observer cleared
  bool observed = false;      // the walk ran (fiemap_prep and the SYNC flush succeeded)
  fiemap_truth at_lock, at_unlock;
};

}  // namespace fsrace::model
