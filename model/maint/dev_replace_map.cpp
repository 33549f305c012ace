#include "model/maint/dev_replace_map.hpp"

#include "model/fs_info.hpp"
#include "model/maint/dev_replace.hpp"

namespace fsrace::model {

// __btrfs_map_block of the 4.x era, for a write while a replace runs. Before 22ab04e814f4 the write
// reached the target only when its stripe on the source device lay below cursor_left (the part already
// copied): "once we finish processing a device extent, any future writes to extents from the
// corresponding block group will get into both the source and target devices", the copy carrying
// whatever lies above. 22ab04e814f4 ("using this left cursor to decide whether writes go into both
// devices or only the source device is not enough") duplicates every write to the source while the
// replace is ongoing. The kernel reads the state under dev_replace->rwsem; here the read happens in the
// bio's submission step and the state and cursors change in single steps, so no extra point is needed.
void btrfs_dev_replace_dup_stripes(btrfs_fs_info& fs_info, map_op op, uint64_t logical,
                                   std::vector<btrfs_bio_stripe>& stripes) {
  if (op != map_op::write) return;
  const btrfs_dev_replace& r = fs_info.dev_replace;
  if (!btrfs_dev_replace_is_ongoing(r) || r.tgtdev == BTRFS_NO_DEVICE) return;
  const bool every_write = fs_info.fixes.has("22ab04e814f4");
  const size_t n = stripes.size();
  for (size_t i = 0; i < n; ++i)
    if (stripes[i].devid == r.srcdev && (every_write || stripes[i].physical < r.cursor_left))
      stripes.push_back({r.tgtdev, stripes[i].physical, stripes[i].length, stripes[i].offset});
}

}  // namespace fsrace::model
