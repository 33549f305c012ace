// mkfs.btrfs: devices, the first SYSTEM / METADATA / DATA chunks, the root, extent, chunk, device,
// fs and csum trees, and a first commit. Must run inside a scheduler fiber.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "model/fs_info.hpp"

namespace fsrace::model {

struct mkfs_options {
  std::vector<uint64_t> device_sizes;
  std::string data_profile = "single", metadata_profile = "dup", system_profile = "dup";
  uint32_t sectorsize = 4096, nodesize = 16384;
};

// Throws bad_config with a clear message for options mkfs.btrfs would refuse.
std::unique_ptr<btrfs_fs_info> btrfs_mkfs(const mkfs_options& opts);

}  // namespace fsrace::model
