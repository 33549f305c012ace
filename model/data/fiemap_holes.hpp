// The part of fiemap_matches_file that holds for a call during which the file changed (writeback and
// ordered extent completion run beside fiemap's shared i_rwsem): a range the file mapped both when the
// call took the inode lock and when it let go of it (an extent, prealloc or delalloc, possibly of another
// kind or address at each moment) had data all along, so FIEMAP must not report it as a hole. What it
// reports there may be either state, so nothing else is judged. Pure computation, no scheduling points.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/data/fiemap_check.hpp"

namespace fsrace::model {

// Ranges of [range_start, range_end) covered by a segment of `at_lock` and one of `at_unlock` that no
// extent of the answer covers, one problem each. An answer cut short by fi_extents_max is judged up to its
// last extent; one that only counted (fi_extents_max 0) is not judged.
std::vector<std::string> fiemap_check_holes(const fiemap_truth& at_lock, const fiemap_truth& at_unlock,
                                            const fiemap_extent_info& fi, uint64_t range_start,
                                            uint64_t range_end);

}  // namespace fsrace::model
