#include "model/mkfs.hpp"

#include <fmt/format.h>

#include "model/chunk_alloc.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

constexpr uint64_t MiB = 1024 * 1024;
constexpr uint64_t kMinDeviceSize = 128 * MiB;

uint64_t checked_profile(const std::string& name, const char* what, size_t ndevs) {
  bool ok = false;
  uint64_t p = profile_from_name(name, &ok);
  if (!ok) throw bad_config(fmt::format("unknown {} profile '{}' (expected single, dup, raid1 or raid10)", what, name));
  // btrfs_raid_array devs_min: raid1 2, raid10 2 (a raid10 on 2 or 3 devices has one data stripe).
  if ((p & (BTRFS_BLOCK_GROUP_RAID1 | BTRFS_BLOCK_GROUP_RAID10)) && ndevs < 2)
    throw bad_config(fmt::format("{} profile {} needs at least 2 devices, have {}", what, name, ndevs));
  return p;
}

}  // namespace

std::unique_ptr<btrfs_fs_info> btrfs_mkfs(const mkfs_options& opts) {
  if (opts.device_sizes.empty()) throw bad_config("mkfs needs at least one device");
  if (opts.sectorsize != 4096) throw bad_config(fmt::format("sectorsize {} unsupported (expected 4096)", opts.sectorsize));
  if (opts.nodesize < opts.sectorsize || opts.nodesize > 65536 || (opts.nodesize & (opts.nodesize - 1)))
    throw bad_config(fmt::format("nodesize {} invalid (expected a power of two from 4096 to 65536)", opts.nodesize));
  for (size_t i = 0; i < opts.device_sizes.size(); ++i) {
    const uint64_t s = opts.device_sizes[i];
    if (s < kMinDeviceSize || s % opts.sectorsize)
      throw bad_config(fmt::format("device {} size {} invalid (expected a multiple of 4096 of at least {})", i + 1, s,
                                   kMinDeviceSize));
  }
  auto fs = std::make_unique<btrfs_fs_info>();
  btrfs_fs_info& fs_info = *fs;
  fs_info.sectorsize = opts.sectorsize;
  fs_info.nodesize = opts.nodesize;
  const size_t ndevs = opts.device_sizes.size();
  fs_info.profiles["data"] = checked_profile(opts.data_profile, "data", ndevs);
  fs_info.profiles["metadata"] = checked_profile(opts.metadata_profile, "metadata", ndevs);
  fs_info.profiles["system"] = checked_profile(opts.system_profile, "system", ndevs);
  for (uint64_t type : {BTRFS_BLOCK_GROUP_DATA, BTRFS_BLOCK_GROUP_METADATA, BTRFS_BLOCK_GROUP_SYSTEM}) {
    btrfs_space_info s;
    s.flags = type;
    fs_info.space_info.push_back(std::move(s));
  }
  for (size_t i = 0; i < ndevs; ++i) {
    auto d = std::make_shared<btrfs_device>();
    d->devid = i + 1;
    d->total_bytes = d->disk_total_bytes = opts.device_sizes[i];
    d->bdev = block_device(fmt::format("dev{}", i + 1), opts.device_sizes[i]);
    fs_info.add_device(d);
  }

  btrfs_trans_handle trans = btrfs_start_transaction(fs_info);
  for (auto [type, kind] : {std::pair{BTRFS_BLOCK_GROUP_SYSTEM, "system"}, std::pair{BTRFS_BLOCK_GROUP_METADATA, "metadata"},
                            std::pair{BTRFS_BLOCK_GROUP_DATA, "data"}}) {
    if (btrfs_create_chunk(trans, type | fs_info.profiles[kind]) < 0)
      throw bad_config(fmt::format("devices too small for the first {} chunk", kind));
  }
  for (uint64_t id : {BTRFS_ROOT_TREE_OBJECTID, BTRFS_EXTENT_TREE_OBJECTID, BTRFS_CHUNK_TREE_OBJECTID,
                      BTRFS_DEV_TREE_OBJECTID, BTRFS_FS_TREE_OBJECTID, BTRFS_CSUM_TREE_OBJECTID,
                      BTRFS_DATA_RELOC_TREE_OBJECTID})
    btrfs_create_tree(trans, id);
  for (auto& [devid, d] : fs_info.devices) {
    int ret = btrfs_insert_item(trans, fs_info.chunk_root(), {BTRFS_DEV_ITEMS_OBJECTID, BTRFS_DEV_ITEM_KEY, devid},
                                btrfs_dev_item{devid, d->total_bytes, d->bytes_used});
    FSRACE_MODEL_CHECK(ret == 0, "dev item {}: {}", devid, ret);
  }
  // The top directory of the default subvolume, and of the data relocation tree (mkfs.btrfs makes both:
  // relocation creates its data inodes there, create_reloc_inode).
  btrfs_inode_item dir;
  dir.mode = 040755;
  dir.generation = dir.transid = trans.transid;
  for (uint64_t id : {BTRFS_FS_TREE_OBJECTID, BTRFS_DATA_RELOC_TREE_OBJECTID}) {
    btrfs_root& root = *fs_info.roots.at(id);
    btrfs_insert_item(trans, root, {BTRFS_FIRST_FREE_OBJECTID, BTRFS_INODE_ITEM_KEY, 0}, dir);
    btrfs_insert_item(trans, root, {BTRFS_FIRST_FREE_OBJECTID, BTRFS_INODE_REF_KEY, BTRFS_FIRST_FREE_OBJECTID},
                      btrfs_inode_ref{0, ".."});
    root.root_item.inode = dir;
  }
  int ret = btrfs_commit_transaction(trans);
  FSRACE_MODEL_CHECK(ret == 0, "mkfs commit failed: {}", ret);
  return fs;
}

}  // namespace fsrace::model
