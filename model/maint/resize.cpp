#include "model/maint/resize.hpp"

#include <cerrno>
#include <optional>

#include <fmt/format.h>

#include "model/chunk_reserve.hpp"
#include "model/dev_update_list.hpp"
#include "model/fs_info.hpp"
#include "model/maint/balance.hpp"
#include "model/transaction.hpp"
#include "model/transaction_abort.hpp"
#include "model/volumes.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

constexpr uint64_t SZ_256M = 256ull << 20;

// first_pending_extent: does a chunk map (alloc_state's CHUNK_ALLOCATED, set by add_extent_mapping)
// put a stripe of the device in [start, start + len)? The model's device allocator reads the same maps.
bool first_pending_extent(const btrfs_fs_info& fs_info, uint64_t devid, uint64_t start, uint64_t len) {
  for (const auto& [logical, map] : fs_info.mapping_tree)
    for (const auto& s : map->stripes)
      if (fs_info.dev(s.dev).devid == devid && s.physical < start + len && s.physical + map_stripe_size(*map) > start) return true;
  return false;
}

// btrfs_search_slot for (devid, DEV_EXTENT, below) then btrfs_previous_item: the device's last extent
// starting below `below` in the current device tree, as (offset, chunk_offset, length).
struct dev_extent_at {
  uint64_t offset = 0, chunk_offset = 0, length = 0;
};
std::optional<dev_extent_at> last_dev_extent_below(btrfs_fs_info& fs_info, uint64_t devid, uint64_t below) {
  std::optional<dev_extent_at> last;
  btrfs_for_each_item(fs_info, fs_info.dev_root(), {devid, BTRFS_DEV_EXTENT_KEY, 0}, [&](const btrfs_item& it) {
    if (it.key.objectid != devid || it.key.type != BTRFS_DEV_EXTENT_KEY || it.key.offset >= below) return false;
    const auto& de = std::get<btrfs_dev_extent>(it.value);
    last = dev_extent_at{it.key.offset, de.chunk_offset, de.length};
    return true;
  });
  return last;
}

int btrfs_grow_device(btrfs_fs_info& fs_info, btrfs_device& device, uint64_t new_size) {
  btrfs_trans_handle trans = btrfs_start_transaction(fs_info);
  fs_info.chunk_mutex.lock();
  sched::point(sched::L("btrfs_grow_device(devid {}, {} bytes)", device.devid, new_size));
  device.total_bytes = device.disk_total_bytes = new_size;  // btrfs_device_set_total_bytes / _disk_total_bytes
  btrfs_add_dev_update(trans, device);
  fs_info.chunk_mutex.unlock();
  // 2bb2e00ed978: system space for the device item's COW first, so that the update never asks for a
  // system chunk while it holds chunk tree locks.
  const bool reserve = fs_info.fixes.has("2bb2e00ed978");
  if (reserve) btrfs_reserve_chunk_metadata(trans, false);
  int ret = btrfs_update_device(trans, device.devid);
  if (reserve) btrfs_trans_release_chunk_metadata(trans);
  const int commit = btrfs_commit_transaction(trans);  // btrfs_ioctl_resize commits after growing
  return ret ? ret : commit;
}

}  // namespace

int btrfs_shrink_device(btrfs_fs_info& fs_info, btrfs_device& device, uint64_t new_size) {
  const uint64_t devid = device.devid, old_size = device.total_bytes, diff = old_size - new_size;
  if (device.is_tgtdev_for_dev_replace) return -EINVAL;
  btrfs_trans_handle trans = btrfs_start_transaction(fs_info);
  fs_info.chunk_mutex.lock();
  sched::point(sched::L("btrfs_shrink_device(devid {}): btrfs_device_set_total_bytes({})", devid, new_size));
  device.total_bytes = new_size;  // from here chunk allocation keeps below the new size
  // 53e489bc8cd9: a chunk map over the cut-off range may belong to a chunk allocated in the running
  // transaction, with no device extent item yet: commit so that the search below sees it.
  if (fs_info.fixes.has("53e489bc8cd9") && first_pending_extent(fs_info, devid, new_size, diff)) {
    fs_info.chunk_mutex.unlock();
    int ret = btrfs_commit_transaction(trans);
    if (ret) return ret;
  } else {
    fs_info.chunk_mutex.unlock();
    btrfs_end_transaction(trans);
  }
  int ret = 0;
  bool retried = false;
  for (int round = 0;; ++round) {  // `again`: one retry after -ENOSPC failures
    FSRACE_MODEL_CHECK(round < 2, "btrfs_shrink_device: more than one retry");
    int failed = 0;
    uint64_t below = ~0ull;
    for (int n = 0;; ++n) {  // bounded: each pass handles a lower device extent
      FSRACE_MODEL_CHECK(n < 1 << 16, "btrfs_shrink_device: runaway relocation loop on devid {}", devid);
      fs_info.reclaim_bgs_lock.lock();
      sched::point(sched::L("btrfs_shrink_device(devid {}): search dev extents below {}", devid, below));
      const std::optional<dev_extent_at> de = last_dev_extent_below(fs_info, devid, below);
      if (!de || de->offset + de->length <= new_size) {
        fs_info.reclaim_bgs_lock.unlock();
        break;
      }
      ret = btrfs_relocate_chunk(fs_info, de->chunk_offset);
      fs_info.reclaim_bgs_lock.unlock();
      if (ret == -ENOSPC) {
        failed++;
      } else if (ret) {
        break;
      }
      if (de->offset == 0) break;
      below = de->offset;
    }
    if (ret && ret != -ENOSPC) break;
    ret = 0;
    if (failed && !retried) {
      retried = true;
      continue;
    }
    if (failed) ret = -ENOSPC;
    break;
  }
  if (ret) {  // done: the device keeps its old size
    fs_info.chunk_mutex.lock();
    device.total_bytes = old_size;
    fs_info.chunk_mutex.unlock();
    return ret;
  }
  trans = btrfs_start_transaction(fs_info);
  fs_info.chunk_mutex.lock();
  // Clear alloc_state past the new size, btrfs_device_set_disk_total_bytes, the super block's total.
  sched::point(sched::L("btrfs_shrink_device(devid {}): btrfs_device_set_disk_total_bytes({})", devid, new_size));
  device.disk_total_bytes = new_size;
  btrfs_add_dev_update(trans, device);
  fs_info.chunk_mutex.unlock();
  const bool reserve = fs_info.fixes.has("2bb2e00ed978");  // the device item update below (as in grow)
  if (reserve) btrfs_reserve_chunk_metadata(trans, false);
  ret = btrfs_update_device(trans, devid);  // the on-disk size
  if (reserve) btrfs_trans_release_chunk_metadata(trans);
  if (ret < 0) btrfs_abort_transaction_at(trans, ret, "btrfs_shrink_device");
  return btrfs_commit_transaction(trans);
}

int btrfs_resize_device(btrfs_fs_info& fs_info, uint64_t devid, uint64_t new_size) {
  // btrfs_exclop_start(BTRFS_EXCLOP_RESIZE): test and set in one step.
  sched::point(sched::L("btrfs_exclop_start(resize)"));
  if (fs_info.flags & BTRFS_FS_EXCL_OP) return -EBUSY;
  fs_info.flags |= BTRFS_FS_EXCL_OP;
  int ret = 0;
  btrfs_device* device = fs_info.device(devid);
  if (!device || device->missing) {
    ret = -ENODEV;
  } else if (new_size < SZ_256M) {
    ret = -EINVAL;
  } else if (new_size > device->bdev.size()) {
    ret = -EFBIG;
  } else {
    new_size -= new_size % fs_info.sectorsize;
    if (new_size > device->total_bytes) ret = btrfs_grow_device(fs_info, *device, new_size);
    else if (new_size < device->total_bytes) ret = btrfs_shrink_device(fs_info, *device, new_size);
  }
  if (ret == 0) fs_info.log(fmt::format("BTRFS info: resize device devid {} to {}", devid, new_size));
  fs_info.flags &= ~BTRFS_FS_EXCL_OP;  // btrfs_exclop_finish
  return ret;
}

}  // namespace fsrace::model
