#include "model/fs_info.hpp"

namespace fsrace::model {

btrfs_fs_info::btrfs_fs_info(const btrfs_fs_info& o)
    : btrfs_fs_data_state(o), btrfs_fs_eb_state(o), btrfs_fs_maint_state(o),
      sectorsize(o.sectorsize), nodesize(o.nodesize), fixes(o.fixes), flags(o.flags), mount_opt(o.mount_opt),
      send_in_progress(o.send_in_progress),
      last_reloc_trans(o.last_reloc_trans),
      spare_bdevs(o.spare_bdevs), space_info(o.space_info), unused_bgs(o.unused_bgs),
      pinned_extents(o.pinned_extents), profiles(o.profiles),
      highest_root_objectid(o.highest_root_objectid), buffer_radix(o.buffer_radix),
      dirty_tree_blocks(o.dirty_tree_blocks), generation(o.generation), super_sys_chunk_array(o.super_sys_chunk_array),
      sys_chunk_array(o.sys_chunk_array), sys_array_size(o.sys_array_size), chunk_block_rsv(o.chunk_block_rsv),
      last_trans_committed(o.last_trans_committed), last_transid_started(o.last_transid_started),
      scrubs_running(o.scrubs_running), scrubs_paused(o.scrubs_paused), scrub_pause_req(o.scrub_pause_req),
      imported(o.imported), dmesg(o.dmesg) {
  // Per-execution mutable objects are deep-copied; everything refers to them by key.
  for (const auto& d : o.device_table) device_table.push_back(std::make_shared<btrfs_device>(*d));
  for (auto& [id, d] : o.devices) {
    FSRACE_MODEL_CHECK(d->handle < device_table.size() && o.device_table[d->handle] == d,
                       "devid {} is not in the device table (add it with btrfs_fs_info::add_device)", id);
    devices[id] = device_table[d->handle];
  }
  for (auto& [start, m] : o.mapping_tree) mapping_tree[start] = std::make_shared<map_lookup>(*m);
  // Per-object locks tell DPOR's footprints their instances apart (footprint.hpp lock_id): a group's
  // lock by its start, a root's tree lock by its objectid. (Copies keep the instance; objects created
  // during an execution set it where they are made.)
  for (auto& [start, bg] : o.block_group_cache_tree) {
    block_group_cache_tree[start] = std::make_shared<btrfs_block_group_cache>(*bg);
    block_group_cache_tree[start]->lock.set_instance(start);
  }
  for (auto& [id, r] : o.roots) {
    roots[id] = std::make_shared<btrfs_root>(*r);
    roots[id]->lock.set_instance(id);
  }
  for (const auto& t : o.trans_list) {
    trans_list.push_back(std::make_shared<btrfs_transaction>(*t));
    // Groups the cleaner removed (no longer in block_group_cache_tree): the clone's own copies.
    for (auto& bg : trans_list.back()->deleted_bgs) bg = std::make_shared<btrfs_block_group_cache>(*bg);
    if (t == o.running_transaction) running_transaction = trans_list.back();
  }
  if (o.running_transaction && !running_transaction) {
    running_transaction = std::make_shared<btrfs_transaction>(*o.running_transaction);
    for (auto& bg : running_transaction->deleted_bgs) bg = std::make_shared<btrfs_block_group_cache>(*bg);
  }
}

btrfs_root* btrfs_fs_info::get_fs_root(uint64_t objectid) {
  auto it = roots.find(objectid);
  if (it == roots.end() || !it->second->ref_cows) return nullptr;
  return it->second.get();
}

btrfs_device& btrfs_fs_info::add_device(std::shared_ptr<btrfs_device> device) {
  device->handle = dev_handle(device_table.size());
  device_table.push_back(device);
  FSRACE_MODEL_CHECK(!devices.count(device->devid), "add_device: devid {} already on the list", device->devid);
  devices[device->devid] = device;
  return *device;
}

btrfs_device* btrfs_fs_info::device(uint64_t devid) {
  auto it = devices.find(devid);
  return it == devices.end() ? nullptr : it->second.get();
}

void freeze(btrfs_fs_info& fs_info) {
  FSRACE_MODEL_CHECK(!fs_info.running_transaction, "freeze with a running transaction: commit the set-up first");
  fs_info.buffer_radix.freeze();
  for (auto& d : fs_info.device_table) d->bdev.freeze();
  for (auto& s : fs_info.spare_bdevs) s.bdev.freeze();
  fs_info.oracle.ops.freeze();
}

}  // namespace fsrace::model
