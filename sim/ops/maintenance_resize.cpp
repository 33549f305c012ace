// Device resize (model/maint/resize.hpp): btrfs filesystem resize DEVID:SIZE.
#include <cerrno>

#include "model/maint/resize.hpp"
#include "sim/binding.hpp"

namespace fsrace::sim {

void register_resize_ops(catalogue& cat) {
  cat.add_op("resize", "balance",
             "btrfs filesystem resize (btrfs_ioctl_resize) of one device to `size` bytes: takes BTRFS_FS_EXCL_OP "
             "(-EBUSY if another exclusive operation runs); growing sets the size and commits; shrinking "
             "(btrfs_shrink_device) sets the device's size under chunk_mutex, commits first when a chunk map "
             "covers the cut-off range (53e489bc8cd9), relocates every chunk with a device extent past the new "
             "size from the top down (btrfs_relocate_chunk under reclaim_bgs_lock; one retry after -ENOSPC), "
             "then writes the device item and commits. -EINVAL below 256MiB, -EFBIG past the device, -ENOSPC "
             "when a chunk cannot move (the old size is kept).",
             [](exec_context& ctx, const params& p) {
               return model::btrfs_resize_device(ctx.fs(), uint64_t(p.device("dev")) + 1, p.size("size"));
             })
      .device("dev", "the device resized")
      .size("size", "its new size")
      .size_range(1ull << 20, 1ull << 50)
      .align(4096)
      .allow_errors({-EBUSY});
}

}  // namespace fsrace::sim
