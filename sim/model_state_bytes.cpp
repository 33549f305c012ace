#include "sim/model_state_bytes.hpp"

#include "model/fs_info.hpp"

namespace fsrace::sim {

uint64_t cow_store_delta_bytes(const model::btrfs_fs_info& fs) {
  uint64_t sectors = 0;
  for (const auto& [devid, device] : fs.devices) sectors += device->bdev.delta_sectors();
  return sectors * model::SECTORSIZE + uint64_t{fs.buffer_radix.delta_size()} * fs.nodesize;
}

uint64_t cache_bytes(const model::btrfs_fs_info& fs) {
  uint64_t pages = fs.btree_pages.size(), oracle_sectors = 0;
  for (const auto& [key, inode] : fs.inode_cache) pages += inode->mapping.pages.size();
  for (const auto& [key, file] : fs.oracle.files) oracle_sectors += file->sectors.size();
  return pages * model::PAGE_SIZE + oracle_sectors * model::SECTORSIZE;
}

}  // namespace fsrace::sim
