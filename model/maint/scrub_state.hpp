// fs_info state of scrub and device replace (fs/btrfs/dev-replace.h, scrub.c): fs_info->dev_replace and
// the scrub context of every device being scrubbed. Owned by the scrub/replace engineer.
// Copyable: a copy is part of the per-execution clone (sync primitives copy as fresh, unlocked ones).
#pragma once
#include <cstdint>
#include <map>

#include "scheduler/sync/mutex.hpp"
#include "scheduler/sync/rw_semaphore.hpp"

namespace fsrace::model {

// include/uapi/linux/btrfs.h
enum : uint64_t {
  BTRFS_IOCTL_DEV_REPLACE_STATE_NEVER_STARTED = 0,
  BTRFS_IOCTL_DEV_REPLACE_STATE_STARTED = 1,
  BTRFS_IOCTL_DEV_REPLACE_STATE_FINISHED = 2,
  BTRFS_IOCTL_DEV_REPLACE_STATE_CANCELED = 3,
  BTRFS_IOCTL_DEV_REPLACE_STATE_SUSPENDED = 4,
};
// btrfs_ioctl_dev_replace_args.result (uapi): what BTRFS_IOCTL_DEV_REPLACE_CMD_CANCEL reports.
enum : int {
  BTRFS_IOCTL_DEV_REPLACE_RESULT_NO_ERROR = 0,
  BTRFS_IOCTL_DEV_REPLACE_RESULT_NOT_STARTED = 1,
  BTRFS_IOCTL_DEV_REPLACE_RESULT_ALREADY_STARTED = 2,
  BTRFS_IOCTL_DEV_REPLACE_RESULT_SCRUB_INPROGRESS = 3,
};
// The devid a replace target carries until the replace finishes (it then takes the source's devid).
constexpr uint64_t BTRFS_DEV_REPLACE_DEVID = 0;
constexpr uint64_t BTRFS_NO_DEVICE = ~0ull;  // dev_replace->srcdev / tgtdev == NULL

// struct btrfs_scrub_progress (uapi): what scrub reports to user space.
struct btrfs_scrub_progress {
  uint64_t data_extents_scrubbed = 0, tree_extents_scrubbed = 0;
  uint64_t data_bytes_scrubbed = 0, tree_bytes_scrubbed = 0;
  uint64_t read_errors = 0, csum_errors = 0, verify_errors = 0, no_csum = 0;
  uint64_t uncorrectable_errors = 0, corrected_errors = 0;
  uint64_t last_physical = 0;
  uint64_t total_errors() const { return read_errors + csum_errors + verify_errors; }
  void add(const btrfs_scrub_progress& o) {
    data_extents_scrubbed += o.data_extents_scrubbed, tree_extents_scrubbed += o.tree_extents_scrubbed;
    data_bytes_scrubbed += o.data_bytes_scrubbed, tree_bytes_scrubbed += o.tree_bytes_scrubbed;
    read_errors += o.read_errors, csum_errors += o.csum_errors, verify_errors += o.verify_errors, no_csum += o.no_csum;
    uncorrectable_errors += o.uncorrectable_errors, corrected_errors += o.corrected_errors;
    last_physical = o.last_physical;
  }
};

// struct btrfs_dev_replace. Devices are named by devid (BTRFS_NO_DEVICE for NULL).
struct btrfs_dev_replace {
  uint64_t replace_state = BTRFS_IOCTL_DEV_REPLACE_STATE_NEVER_STARTED;
  uint64_t srcdev = BTRFS_NO_DEVICE;
  uint64_t tgtdev = BTRFS_NO_DEVICE;
  // Physical offsets on the source device: [0, cursor_left) is copied and receives duplicated writes;
  // [cursor_left, cursor_right) is the device extent being copied.
  uint64_t cursor_left = 0, cursor_right = 0;
  uint64_t committed_cursor_left = 0;
  bool item_needs_writeback = false;
  uint64_t num_write_errors = 0, num_uncorrectable_read_errors = 0;
  btrfs_scrub_progress scrub_progress;
  sched::RwSemaphore rwsem{"dev_replace->rwsem"};
  sched::Mutex lock_finishing_cancel_unmount{"dev_replace->lock_finishing_cancel_unmount"};
};

// The scrub context of a device (dev->scrub_device = sctx): one scrub per device at a time.
struct scrub_ctx_state {
  bool is_dev_replace = false;
  bool readonly = false;
  btrfs_scrub_progress stat;
};

struct btrfs_fs_scrub_state {
  btrfs_dev_replace dev_replace;
  std::map<uint64_t, scrub_ctx_state> scrub_devices;      // devid -> running scrub (dev->scrub_device)
  std::map<uint64_t, btrfs_scrub_progress> scrub_results;  // devid -> last finished scrub (scrub status)
  // devid -> the counters of every scrub of it that finished (not device replace's copy), added up: what
  // the scrub error-counter invariant reads (a later scrub's status must not hide an earlier one's errors).
  std::map<uint64_t, btrfs_scrub_progress> scrub_totals;
};

}  // namespace fsrace::model
