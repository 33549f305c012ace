#include "model/maint/dev_replace_map.hpp"

#include "model/fs_info.hpp"
#include "model/maint/dev_replace.hpp"

namespace fsrace::model {

// __btrfs_map_block of the 4.x era: while a replace runs, a write whose stripe on the source device
// lies below cursor_left (the part already copied) goes to the target device too, at the same
// physical offset. Above the cursor the copy itself will carry the data (as described by
// f0e9b7d64019, 1a1a8b732c7e and 22ab04e814f4: "once we finish processing a device extent, any future
// writes to extents from the corresponding block group will get into both the source and target").
// The kernel reads the cursor under dev_replace->lock; here the read happens in the same step as the
// bio's submission point and the cursor moves in one step under rwsem, so no extra point is needed.
void btrfs_dev_replace_dup_stripes(btrfs_fs_info& fs_info, map_op op, uint64_t logical,
                                   std::vector<btrfs_bio_stripe>& stripes) {
  if (op != map_op::write) return;
  const btrfs_dev_replace& r = fs_info.dev_replace;
  if (!btrfs_dev_replace_is_ongoing(r) || r.tgtdev == BTRFS_NO_DEVICE) return;
  const size_t n = stripes.size();
  for (size_t i = 0; i < n; ++i)
    if (stripes[i].devid == r.srcdev && stripes[i].physical < r.cursor_left)
      stripes.push_back({r.tgtdev, stripes[i].physical});
}

}  // namespace fsrace::model
