#include "model/maint/scrub.hpp"

#include <cerrno>

#include <fmt/format.h>

#include "model/fs_info.hpp"
#include "model/maint/dev_replace.hpp"
#include "model/maint/scrub_internal.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

// __scrub_blocked_if_needed: called with scrub_lock held; sleeps while a commit asks scrubs to pause.
void scrub_blocked_locked(btrfs_fs_info& fs_info) {
  for (;;) {  // bounded by the scheduler's step limit
    if (fs_info.scrub_pause_req == 0) return;
    fs_info.scrub_lock.unlock();
    fs_info.scrub_pause_wait.wait_event([&] { return fs_info.scrub_pause_req == 0; });
    fs_info.scrub_lock.lock();
  }
}

// scrub_setup_ctx, for a replace: the copy's target is dev_replace->tgtdev as it is now, read without
// dev_replace->rwsem as 6.1 reads it (WARN_ON when there is none: a cancel took it away).
std::shared_ptr<btrfs_device> scrub_setup_wr_tgtdev(btrfs_fs_info& fs_info) {
  const btrfs_dev_replace& r = fs_info.dev_replace;
  FSRACE_WARN_ON(r.tgtdev == BTRFS_NO_DEVICE, "scrub_setup_ctx: no dev_replace->tgtdev for the replace copy "
                 "(replace state {})", r.replace_state);
  auto it = fs_info.devices.find(r.tgtdev);
  FSRACE_MODEL_CHECK(it != fs_info.devices.end(), "dev_replace->tgtdev {} is not a device", r.tgtdev);
  return it->second;
}

}  // namespace

void scrub_pause_on(btrfs_fs_info& fs_info) {
  fs_info.scrubs_paused++;  // atomic_inc(&fs_info->scrubs_paused)
  fs_info.scrub_pause_wait.wake_up();
}

void scrub_pause_off(btrfs_fs_info& fs_info) {
  fs_info.scrub_lock.lock();
  scrub_blocked_locked(fs_info);
  fs_info.scrubs_paused--;
  fs_info.scrub_lock.unlock();
  fs_info.scrub_pause_wait.wake_up();
}

void scrub_blocked_if_needed(btrfs_fs_info& fs_info) {
  scrub_pause_on(fs_info);
  scrub_pause_off(fs_info);
}

int btrfs_scrub_dev(btrfs_fs_info& fs_info, uint64_t devid, uint64_t start, uint64_t end,
                    btrfs_scrub_progress* progress, bool readonly, bool is_dev_replace) {
  // scrub_claim: scrub_setup_wr_tgtdev (dev_replace->tgtdev, the device list), the device's state, the
  // scrub contexts, counters and results, pause requests (scrub_blocked_locked); scrub_enumerate_chunks
  // opens its own scopes. The copy's progress goes to dev_replace->scrub_progress (Replace).
  sched::FootprintScope scope(scrub_claim());
  sched::point(sched::L("btrfs_scrub_dev(devid {})", devid));
  // scrub_setup_ctx, before the device lookup and scrub_lock (6.1: "Allocate outside of device_list_mutex").
  std::shared_ptr<btrfs_device> wr_tgtdev;
  if (is_dev_replace) wr_tgtdev = scrub_setup_wr_tgtdev(fs_info);
  btrfs_device* dev = fs_info.device(devid);
  if (!dev || (dev->missing && !is_dev_replace)) return -ENODEV;
  fs_info.scrub_lock.lock();
  if (dev->is_tgtdev_for_dev_replace) {
    fs_info.scrub_lock.unlock();
    return -EIO;
  }
  if (fs_info.scrub_devices.count(devid) || (!is_dev_replace && btrfs_dev_replace_is_ongoing(fs_info.dev_replace))) {
    fs_info.scrub_lock.unlock();
    return -EINPROGRESS;
  }
  scrub_ctx_state& state = fs_info.scrub_devices[devid];  // dev->scrub_device = sctx
  state = scrub_ctx_state{is_dev_replace, readonly, {}};
  // Checking scrub_pause_req here avoids racing with a commit that is waiting for scrubs to pause.
  scrub_blocked_locked(fs_info);
  fs_info.scrubs_running++;
  fs_info.scrub_lock.unlock();

  scrub_ctx sctx{fs_info, devid, is_dev_replace, readonly, state.stat, std::move(wr_tgtdev)};
  // scrub_supers is not modelled: the model keeps no super block copies on the devices.
  const int ret = scrub_enumerate_chunks(sctx, start, end);

  // Bios are synchronous in the scrub model: nothing is in flight any more.
  fs_info.scrubs_running--;
  fs_info.scrub_pause_wait.wake_up();
  if (progress) *progress = state.stat;
  fs_info.scrub_lock.lock();
  fs_info.scrub_results[devid] = state.stat;
  if (!is_dev_replace) fs_info.scrub_totals[devid].add(state.stat);
  fs_info.scrub_devices.erase(devid);
  fs_info.scrub_lock.unlock();
  return ret;
}

int btrfs_scrub_cancel(btrfs_fs_info& fs_info) {
  // Only the scrub counters and requests (Scrub); scrub_lock and scrub_pause_wait are primitives.
  sched::FootprintScope scope(scrub_claim());
  fs_info.scrub_lock.lock();
  if (fs_info.scrubs_running == 0) {
    fs_info.scrub_lock.unlock();
    return -ENOTCONN;
  }
  fs_info.scrub_cancel_req++;
  while (fs_info.scrubs_running) {  // bounded by the scheduler's step limit
    fs_info.scrub_lock.unlock();
    fs_info.scrub_pause_wait.wait_event([&] { return fs_info.scrubs_running == 0; });
    fs_info.scrub_lock.lock();
  }
  fs_info.scrub_cancel_req--;
  fs_info.scrub_lock.unlock();
  return 0;
}

}  // namespace fsrace::model
