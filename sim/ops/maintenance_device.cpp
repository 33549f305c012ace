// Device add and remove (model/maint/device_add.hpp, device_remove.hpp): btrfs device add / remove.
#include <cerrno>

#include "model/maint/device_add.hpp"
#include "model/maint/device_remove.hpp"
#include "sim/binding.hpp"

namespace fsrace::sim {
namespace {

// 6.1's btrfs_rm_device refuses with positive btrfs_err_code values, which btrfs-progs prints as
// messages and exits 1 on; the scenario language sees them as -EINVAL (a refusal, not a success).
int rm_dev_user_errno(int ret) { return ret > 0 ? -EINVAL : ret; }

}  // namespace

void register_device_ops(catalogue& cat) {
  cat.add_op("device_add", "balance",
             "btrfs device add (btrfs_ioctl_add_dev -> btrfs_init_new_device) of a spare block device "
             "(filesystem.spare_devices): takes BTRFS_FS_EXCL_OP (-EBUSY if another exclusive operation runs), "
             "gives it the next devid (one past the chunk tree's last device item), puts it on the device lists "
             "under device_list_mutex and chunk_mutex (chunk allocation may use it from then on), inserts its "
             "device item into the chunk tree (btrfs_add_dev_item; with 2bb2e00ed978 after reserving system space, "
             "btrfs_reserve_chunk_metadata) and commits. -EEXIST when the filesystem already holds that block device.",
             [](exec_context& ctx, const params& p) { return model::btrfs_ioctl_add_dev(ctx.fs(), p.spare_device("spare")); })
      .spare_device("spare", "the spare block device added")
      .allow_errors({-EBUSY});
  cat.add_op("device_remove", "balance",
             "btrfs device remove by devid (btrfs_ioctl_rm_dev_v2 -> btrfs_rm_device): takes BTRFS_FS_EXCL_OP "
             "(-EBUSY), checks the profiles in use against the devices left (btrfs_check_raid_min_devices), takes "
             "the device off the allocation list, relocates every chunk with a device extent on it "
             "(btrfs_shrink_device to 0), deletes its device item (btrfs_rm_dev_item; with 2bb2e00ed978 after "
             "btrfs_reserve_chunk_metadata), takes it off the device list and commits; the block device is a spare "
             "again. Refusals 6.1 returns as positive codes (raid1/raid10 minimum not met, the last writable "
             "device, a replace target) are -EINVAL here; -ENOENT for no such devid; -ENOSPC when a chunk cannot "
             "move (the device stays).",
             [](exec_context& ctx, const params& p) {
               return rm_dev_user_errno(model::btrfs_ioctl_rm_dev(ctx.fs(), uint64_t(p.integer("devid"))));
             })
      .integer("devid", "the devid removed (filesystem.devices entry i is devid i + 1; added devices follow)")
      .range(0, 1 << 20)
      .allow_errors({-EBUSY});
}

}  // namespace fsrace::sim
