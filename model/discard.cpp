#include "model/discard.hpp"

#include <algorithm>
#include <vector>

#include "model/footprints.hpp"
#include "model/fs_info.hpp"
#include "model/volumes.hpp"
#include "scheduler/footprint.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {

bool btrfs_test_opt_discard_sync(const btrfs_fs_info& fs_info) { return fs_info.mount_opt & BTRFS_MOUNT_DISCARD_SYNC; }
bool btrfs_test_opt_flushoncommit(const btrfs_fs_info& fs_info) { return fs_info.mount_opt & BTRFS_MOUNT_FLUSHONCOMMIT; }

// blkdev_issue_discard submits and waits: the range is gone once it returns.
int btrfs_issue_discard(btrfs_fs_info& fs_info, uint64_t devid, uint64_t start, uint64_t len, uint64_t* discarded) {
  // Complete: the device list (fs_info.device compares every device's devid: ChunkMap, Device) and the
  // discarded range's contents, so that a caller's claim need not name any device's contents.
  sched::Footprint claim = sched::declared().reads_from(fp::chunk_map()).touch_kind(sched::ObjectKind::Device, false);
  sched::FootprintScope scope(fp::touch_device_data(claim, devid, start, len, true));
  sched::point(sched::L("blkdev_issue_discard(devid {}, physical {})", devid, start));
  *discarded = 0;
  btrfs_device* dev = fs_info.device(devid);
  if (!dev || dev->missing) return 0;  // no bdev: skipped (degraded)
  dev->bdev.discard(start, len);
  *discarded = len;
  return 0;
}

int btrfs_discard_extent(btrfs_fs_info& fs_info, uint64_t bytenr, uint64_t num_bytes, uint64_t* actual_bytes) {
  uint64_t discarded = 0;
  if (actual_bytes) *actual_bytes = 0;
  std::vector<btrfs_bio_stripe> pieces;
  if (int ret = btrfs_map_block(fs_info, map_op::write, bytenr, num_bytes, 0, pieces)) return ret;
  // btrfs_map_discard gives one range per stripe; the write mapping gives pieces per stripe boundary,
  // merged here per device range.
  std::sort(pieces.begin(), pieces.end(), [](const btrfs_bio_stripe& a, const btrfs_bio_stripe& b) {
    return a.devid != b.devid ? a.devid < b.devid : a.physical < b.physical;
  });
  std::vector<btrfs_bio_stripe> ranges;
  for (const auto& p : pieces) {
    if (!ranges.empty() && ranges.back().devid == p.devid && ranges.back().physical + ranges.back().length == p.physical)
      ranges.back().length += p.length;
    else
      ranges.push_back({p.devid, p.physical, p.length, 0});
  }
  for (const auto& r : ranges) {
    uint64_t bytes = 0;
    if (int ret = btrfs_issue_discard(fs_info, r.devid, r.physical, r.length, &bytes)) return ret;
    discarded += bytes;
  }
  if (actual_bytes) *actual_bytes = discarded;
  return 0;
}

}  // namespace fsrace::model
