#include "model/maint/dev_replace.hpp"

#include <cerrno>

#include <fmt/format.h>

#include "model/data/delalloc.hpp"
#include "model/data/ordered_data.hpp"
#include "model/footprints.hpp"
#include "model/fs_info.hpp"
#include "model/maint/scrub.hpp"
#include "model/transaction.hpp"
#include "scheduler/footprint.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {

bool btrfs_dev_replace_is_ongoing(const btrfs_dev_replace& r) {
  return r.replace_state == BTRFS_IOCTL_DEV_REPLACE_STATE_STARTED ||
         r.replace_state == BTRFS_IOCTL_DEV_REPLACE_STATE_SUSPENDED;
}

namespace {

// fs_info->dmesg (fs_info.log).
constexpr uint64_t kKernelLog = fp::kernel_log();

// The replace's own code (start, finishing, cancel, the target's creation and destruction): the exclusive
// operation flag (Balance), fs_info->dev_replace (Replace), the device list (fs_info->devices: ChunkMap,
// with fs_devices' lists), every device's state (devid, sizes, roles, freed, in_alloc_list: Device), the
// chunk mapping's stripes (btrfs_dev_replace_update_device_in_mapping_tree: ChunkMap), the kernel log.
// Locks and the rwsem are primitives. Transactions, ordered extent waits, delalloc flushes and the scrub
// copy run in undeclared scopes or their own.
sched::Footprint replace_claim() {
  return sched::declared()
      .writes_to(fp::balance())
      .writes_to(fp::replace())
      .writes_to(fp::chunk_map())
      .touch_kind(sched::ObjectKind::Device)
      .writes_to(kKernelLog);
}

// btrfs_init_dev_replace_tgtdev: the target joins the device list with devid BTRFS_DEV_REPLACE_DEVID
// and the source's sizes; the allocator never uses it (is_tgtdev_for_dev_replace).
int btrfs_init_dev_replace_tgtdev(btrfs_fs_info& fs_info, const btrfs_device& src, uint64_t size,
                                  const std::string& name) {
  sched::point(sched::L("btrfs_init_dev_replace_tgtdev(size {})", size));
  // replace_claim and the new block device's contents (every device's: its devid is not fixed yet).
  sched::FootprintScope scope(replace_claim().touch_kind(sched::ObjectKind::DeviceData));
  if (size < src.total_bytes) {
    fs_info.log(fmt::format("BTRFS error: target device {} is smaller than source device devid {}", name, src.devid));
    return -EINVAL;
  }
  if (fs_info.device(BTRFS_DEV_REPLACE_DEVID)) return -EEXIST;
  auto tgt = std::make_shared<btrfs_device>();
  tgt->devid = BTRFS_DEV_REPLACE_DEVID;
  tgt->total_bytes = src.total_bytes;
  tgt->disk_total_bytes = src.disk_total_bytes;
  tgt->bytes_used = src.bytes_used;
  tgt->is_tgtdev_for_dev_replace = true;
  tgt->bdev = block_device(name, size);
  fs_info.add_device(std::move(tgt));
  return 0;
}

// btrfs_destroy_dev_replace_tgtdev: off the device list under device_list_mutex, then btrfs_free_device.
// Whoever still holds the device (a replace copy's sctx->wr_tgtdev) holds freed memory.
void btrfs_destroy_dev_replace_tgtdev(btrfs_fs_info& fs_info) {
  fs_info.device_list_mutex.lock();
  auto it = fs_info.devices.find(BTRFS_DEV_REPLACE_DEVID);
  FSRACE_MODEL_CHECK(it != fs_info.devices.end() && it->second->is_tgtdev_for_dev_replace,
                     "btrfs_destroy_dev_replace_tgtdev: no replace target");
  std::shared_ptr<btrfs_device> tgt = std::move(it->second);
  fs_info.devices.erase(it);
  fs_info.device_list_mutex.unlock();
  tgt->freed = true;  // btrfs_close_bdev, synchronize_rcu, btrfs_free_device
}

// btrfs_dev_replace_update_device_in_mapping_tree: every chunk stripe on the source device object now
// names the target object (still devid BTRFS_DEV_REPLACE_DEVID), under the mapping tree's write lock.
// In place: whoever holds a map sees its stripes switched, as in the kernel.
void btrfs_dev_replace_update_device_in_mapping_tree(btrfs_fs_info& fs_info, const btrfs_device& srcdev,
                                                     const btrfs_device& tgtdev) {
  for (auto& [start, map] : fs_info.mapping_tree)
    for (auto& stripe : map->stripes)
      if (stripe.dev == srcdev.handle) stripe.dev = tgtdev.handle;
}

}  // namespace

int btrfs_dev_replace_start(btrfs_fs_info& fs_info, uint64_t srcdevid, uint64_t tgtdev_size,
                            const std::string& tgtdev_name) {
  btrfs_dev_replace& r = fs_info.dev_replace;
  btrfs_device* src = fs_info.device(srcdevid);
  if (!src || src->is_tgtdev_for_dev_replace) return -ENOENT;
  int ret = btrfs_init_dev_replace_tgtdev(fs_info, *src, tgtdev_size, tgtdev_name);
  if (ret) return ret;

  r.rwsem.down_write();
  if (btrfs_dev_replace_is_ongoing(r)) {  // BTRFS_IOCTL_DEV_REPLACE_RESULT_ALREADY_STARTED
    r.rwsem.up_write();
    btrfs_destroy_dev_replace_tgtdev(fs_info);
    return -EBUSY;
  }
  r.srcdev = srcdevid;
  r.tgtdev = BTRFS_DEV_REPLACE_DEVID;
  // From now on writes to the source below cursor_left are duplicated (btrfs_map_block).
  r.replace_state = BTRFS_IOCTL_DEV_REPLACE_STATE_STARTED;
  r.cursor_left = r.cursor_right = r.committed_cursor_left = 0;
  r.num_write_errors = r.num_uncorrectable_read_errors = 0;
  r.scrub_progress = {};
  r.item_needs_writeback = true;
  r.rwsem.up_write();
  fs_info.log(fmt::format("BTRFS info: dev_replace from devid {} to {} started", srcdevid, tgtdev_name));

  {
    // btrfs_start_transaction and btrfs_commit_transaction open their own scopes (the commit's undeclared
    // parts their own undeclared ones); the ordered extent wait its own below; nothing else runs here
    // (claimed wide all the same: fp::all_but_inodes).
    sched::FootprintScope commit(fp::all_but_inodes());
    {
      // btrfs_wait_ordered_roots (ordered_data.cpp, no scope; ordered_operations_mutex is a primitive):
      // fs_info->ordered_roots, each root's ordered list, the ordered extents' refs (fp::ordered_extents);
      // btrfs_iget of each one's inode (every inode's core, written); btrfs_start_ordered_extent opens its
      // own scope (a buffered one's writeback runs undeclared).
      sched::FootprintScope wait(sched::declared().writes_to(fp::ordered_extents()).touch_kind(sched::ObjectKind::Inode));
      // Ordered extents of writes mapped before the replace started (not duplicated) complete and reach
      // the commit below, so the copy finds their extents in the commit root.
      btrfs_wait_ordered_roots(fs_info, ~0ull, 0, ~0ull);
    }
    // Force writing the updated state information to disk.
    btrfs_trans_handle trans = btrfs_start_transaction(fs_info);
    ret = btrfs_commit_transaction(trans);
  }
  if (ret) return btrfs_dev_replace_finishing(fs_info, ret);

  // The disk copy procedure reuses the scrub code.
  ret = btrfs_scrub_dev(fs_info, srcdevid, 0, src->total_bytes, &r.scrub_progress, false, true);
  return btrfs_dev_replace_finishing(fs_info, ret);
}

int btrfs_dev_replace_finishing(btrfs_fs_info& fs_info, int scrub_ret) {
  // replace_claim; the flush in an undeclared scope, the waits and the commits in their own.
  sched::FootprintScope scope(replace_claim());
  btrfs_dev_replace& r = fs_info.dev_replace;
  r.lock_finishing_cancel_unmount.lock();
  r.rwsem.down_read();
  const bool started = r.replace_state == BTRFS_IOCTL_DEV_REPLACE_STATE_STARTED;
  const uint64_t srcdevid = r.srcdev;
  r.rwsem.up_read();
  if (!started) {
    r.lock_finishing_cancel_unmount.unlock();
    return 0;
  }
  {
    sched::FootprintScope flush(sched::Footprint{});  // writeback of every inode: not audited
    // Flush all outstanding IO and inode extent mappings before the copy is declared finished.
    btrfs_start_delalloc_roots(fs_info, ~0ull);
  }
  {
    // btrfs_wait_ordered_roots: as in btrfs_dev_replace_start.
    sched::FootprintScope wait(sched::declared().writes_to(fp::ordered_extents()).touch_kind(sched::ObjectKind::Inode));
    btrfs_wait_ordered_roots(fs_info, ~0ull, 0, ~0ull);
  }
  // Commit, then device_list_mutex (write_all_supers, btrfs_remove_chunk's and insert_dev_extents' stripe
  // loops stay off the devices while they are swapped) and chunk_mutex (no new chunk on the source), as 6.1.
  // debd1c065d20: again while the source is on a transaction's dev_update_list: a chunk allocated on it
  // after the commit may still have its items pending. Before it one commit.
  const std::shared_ptr<btrfs_device> src = fs_info.devices.at(srcdevid);
  const bool wait_pending = fs_info.fixes.has("debd1c065d20");
  // Each pass commits the transaction the source was last added to, or a later one: only a chunk allocated
  // on the source in every pass keeps it going (the kernel's loop has no bound; the model's is a limit).
  constexpr int kMaxFinishingCommits = 1 << 12;
  for (int pass = 0;; ++pass) {
    FSRACE_MODEL_CHECK(pass < kMaxFinishingCommits,
                       "btrfs_dev_replace_finishing: devid {} still on a dev_update_list after {} commits", srcdevid,
                       pass);
    int ret = 0;
    {
      // btrfs_start_transaction and btrfs_commit_transaction open their own scopes; nothing else runs here
      // (claimed wide all the same).
      sched::FootprintScope commit(fp::all_but_inodes());
      btrfs_trans_handle trans = btrfs_start_transaction(fs_info);
      ret = btrfs_commit_transaction(trans);
    }
    FSRACE_WARN_ON(ret != 0, "btrfs_dev_replace_finishing: commit failed: {}", ret);
    fs_info.device_list_mutex.lock();
    fs_info.chunk_mutex.lock();
    if (!wait_pending || src->post_commit_list == 0) break;
    fs_info.device_list_mutex.unlock();
    fs_info.chunk_mutex.unlock();
  }
  // The state change, the stripe switch and the devid swap happen under dev_replace->rwsem, which
  // btrfs_map_block takes for reading: a bio is mapped either while the replace runs (duplicated) or after
  // the swap (to the new device), never in between.
  r.rwsem.down_write();
  r.replace_state = scrub_ret ? BTRFS_IOCTL_DEV_REPLACE_STATE_CANCELED : BTRFS_IOCTL_DEV_REPLACE_STATE_FINISHED;
  r.srcdev = r.tgtdev = BTRFS_NO_DEVICE;
  r.item_needs_writeback = true;
  if (scrub_ret) {
    r.rwsem.up_write();
    fs_info.chunk_mutex.unlock();
    fs_info.device_list_mutex.unlock();
    if (scrub_ret != -ECANCELED)
      fs_info.log(fmt::format("BTRFS error: btrfs_scrub_dev({}, devid {}) failed {}", "replace", srcdevid, scrub_ret));
    btrfs_destroy_dev_replace_tgtdev(fs_info);
    r.lock_finishing_cancel_unmount.unlock();
    return scrub_ret;
  }
  // 6.1's order: first the chunk stripes switch from the source device object to the target, which still
  // has devid BTRFS_DEV_REPLACE_DEVID; then the target takes the source's devid and the source gets
  // BTRFS_DEV_REPLACE_DEVID, so dev extents keyed by that devid stay valid; then the source leaves the
  // device lists (btrfs_rm_dev_replace_remove_srcdev) and is freed at the end
  // (btrfs_rm_dev_replace_free_srcdev). Bios mapped before the switch resolve their stripes' devids when
  // they complete, so they land on the new device, as btrfs_rm_dev_replace_blocked waiting for bios in
  // flight makes sure in the kernel.
  std::shared_ptr<btrfs_device> tgt = fs_info.devices.at(BTRFS_DEV_REPLACE_DEVID);
  btrfs_dev_replace_update_device_in_mapping_tree(fs_info, *src, *tgt);
  // write_unlock(&em_tree->lock), btrfs_info_in_rcu: another CPU that reads a stripe's device without
  // device_list_mutex or the rwsem now finds the target, devid 0, still BTRFS_DEV_STATE_REPLACE_TGT.
  sched::point(sched::L("btrfs_dev_replace_finishing(devid {}): stripes switched, devids not swapped", srcdevid));
  fs_info.log(fmt::format("BTRFS info: dev_replace from devid {} finished", srcdevid));
  tgt->is_tgtdev_for_dev_replace = false;  // clear_bit(BTRFS_DEV_STATE_REPLACE_TGT)
  tgt->devid = src->devid;
  src->devid = BTRFS_DEV_REPLACE_DEVID;
  // The target takes the source's sizes as they are now (btrfs_device_set_total_bytes,
  // btrfs_device_set_bytes_used): chunks allocated or removed on the source while the copy ran count.
  tgt->total_bytes = src->total_bytes;
  tgt->disk_total_bytes = src->disk_total_bytes;
  tgt->bytes_used = src->bytes_used;
  tgt->in_alloc_list = true;  // list_add(dev_alloc_list), rw_devices++
  fs_info.devices.erase(BTRFS_DEV_REPLACE_DEVID);
  fs_info.devices[srcdevid] = tgt;
  r.rwsem.up_write();
  // btrfs_rm_dev_replace_remove_srcdev: the source off the device and allocation lists.
  src->in_alloc_list = false;
  fs_info.chunk_mutex.unlock();
  fs_info.device_list_mutex.unlock();

  {
    // As the commits above: btrfs_start_transaction and btrfs_commit_transaction open their own scopes; this
    // one covers only what runs between and after them (the handle, the transaction's reference).
    sched::FootprintScope commit(fp::all_but_inodes());
    // Write back the super blocks.
    btrfs_trans_handle trans = btrfs_start_transaction(fs_info);
    btrfs_commit_transaction(trans);
  }
  r.lock_finishing_cancel_unmount.unlock();
  // btrfs_rm_dev_replace_free_srcdev (in the step after that unlock): whoever still holds the source
  // device object holds freed memory.
  src->freed = true;
  return 0;
}

int btrfs_dev_replace_cancel(btrfs_fs_info& fs_info) {
  btrfs_dev_replace& r = fs_info.dev_replace;
  // sb_rdonly: -EROFS (the model mounts read-write only).
  r.lock_finishing_cancel_unmount.lock();
  r.rwsem.down_write();
  int result = BTRFS_IOCTL_DEV_REPLACE_RESULT_NO_ERROR;
  const uint64_t replace_state = r.replace_state;
  uint64_t state = replace_state;
  // d189dd70e255: a started replace is canceled by cancelling its copy, and only when the copy runs
  // (btrfs_scrub_cancel finds scrubs_running); btrfs_dev_replace_finishing, called with the copy's
  // -ECANCELED, then removes the target. Before it a started replace was canceled as a suspended one
  // still is: state CANCELED and the target freed here, whatever the replace thread was doing, which
  // between setting STARTED and its copy raising scrubs_running goes on to copy to the freed target.
  if (state == BTRFS_IOCTL_DEV_REPLACE_STATE_STARTED && !fs_info.fixes.has("d189dd70e255"))
    state = BTRFS_IOCTL_DEV_REPLACE_STATE_SUSPENDED;
  switch (state) {
    case BTRFS_IOCTL_DEV_REPLACE_STATE_NEVER_STARTED:
    case BTRFS_IOCTL_DEV_REPLACE_STATE_FINISHED:
    case BTRFS_IOCTL_DEV_REPLACE_STATE_CANCELED:
      result = BTRFS_IOCTL_DEV_REPLACE_RESULT_NOT_STARTED;
      r.rwsem.up_write();
      break;
    case BTRFS_IOCTL_DEV_REPLACE_STATE_STARTED: {
      const uint64_t srcdevid = r.srcdev;
      r.rwsem.up_write();
      if (btrfs_scrub_cancel(fs_info) < 0) {
        result = BTRFS_IOCTL_DEV_REPLACE_RESULT_NOT_STARTED;
      } else {
        // btrfs_dev_replace_finishing() handles the cleanup.
        fs_info.log(fmt::format("BTRFS info: dev_replace from devid {} canceled", srcdevid));
      }
      break;
    }
    case BTRFS_IOCTL_DEV_REPLACE_STATE_SUSPENDED: {
      // The cleanup step of btrfs_dev_replace_finishing, done here: no copy runs to do it.
      const uint64_t tgtdevid = r.tgtdev, srcdevid = r.srcdev;
      r.tgtdev = r.srcdev = BTRFS_NO_DEVICE;
      r.replace_state = BTRFS_IOCTL_DEV_REPLACE_STATE_CANCELED;
      r.item_needs_writeback = true;
      r.rwsem.up_write();
      // 6.1: a suspended replace has no copy running. Before d189dd70e255, for a started replace, the
      // -ENOTCONN of a copy not running yet was ignored.
      btrfs_scrub_cancel(fs_info);
      btrfs_trans_handle trans = btrfs_start_transaction(fs_info);
      const int ret = btrfs_commit_transaction(trans);
      FSRACE_WARN_ON(ret != 0, "btrfs_dev_replace_cancel: commit failed: {}", ret);
      fs_info.log(fmt::format("BTRFS info: {}dev_replace from devid {} canceled",
                              replace_state == BTRFS_IOCTL_DEV_REPLACE_STATE_SUSPENDED ? "suspended " : "", srcdevid));
      if (tgtdevid != BTRFS_NO_DEVICE) btrfs_destroy_dev_replace_tgtdev(fs_info);
      break;
    }
    default:
      r.rwsem.up_write();
      result = -EINVAL;
  }
  r.lock_finishing_cancel_unmount.unlock();
  return result;
}

int btrfs_ioctl_dev_replace_cancel(btrfs_fs_info& fs_info) {
  sched::point(sched::L("btrfs_ioctl_dev_replace(CANCEL)"));
  const int result = btrfs_dev_replace_cancel(fs_info);
  return result == BTRFS_IOCTL_DEV_REPLACE_RESULT_NOT_STARTED ? -ENOTCONN : result;
}

int btrfs_dev_replace_by_ioctl(btrfs_fs_info& fs_info, uint64_t srcdevid, uint64_t tgtdev_size,
                               const std::string& tgtdev_name) {
  // replace_claim: the flag, btrfs_dev_replace_start's own code (btrfs_init_dev_replace_tgtdev, the state
  // change, the log); its waits and commit in an undeclared scope, the copy and finishing in their own.
  sched::FootprintScope scope(replace_claim());
  // fs_info->mutually_exclusive_operation_running (BTRFS_FS_EXCL_OP): balance, device add/remove/replace.
  sched::point(sched::L("btrfs_ioctl_dev_replace(devid {})", srcdevid));
  if (fs_info.flags & BTRFS_FS_EXCL_OP) return -EBUSY;  // BTRFS_ERROR_DEV_EXCL_RUN_IN_PROGRESS
  fs_info.flags |= BTRFS_FS_EXCL_OP;
  const int ret = btrfs_dev_replace_start(fs_info, srcdevid, tgtdev_size, tgtdev_name);
  fs_info.flags &= ~uint32_t(BTRFS_FS_EXCL_OP);
  return ret;
}

}  // namespace fsrace::model
