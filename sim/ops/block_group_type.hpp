// The "type" parameter of operations that act on a kind of block group ("data", "metadata", "system";
// the catalogue validates the spelling) as the kernel's BTRFS_BLOCK_GROUP_* flag.
#pragma once
#include <cstdint>
#include <string>

#include "model/key.hpp"

namespace fsrace::sim {

inline uint64_t block_group_type_flag(const std::string& type) {
  if (type == "data") return model::BTRFS_BLOCK_GROUP_DATA;
  if (type == "metadata") return model::BTRFS_BLOCK_GROUP_METADATA;
  return model::BTRFS_BLOCK_GROUP_SYSTEM;
}

}  // namespace fsrace::sim
