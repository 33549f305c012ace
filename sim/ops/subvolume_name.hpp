// Subvolumes by the name a scenario gave them (create_subvolume, create_snapshot).
#pragma once
#include <cstdint>
#include <string>

#include "model/fs_info.hpp"

namespace fsrace::sim {

// The objectid of the subvolume created under `name` by an op of the scenario; "" is the top-level
// subvolume (FS_TREE). 0 when there is none (yet).
inline uint64_t subvol_by_name(const model::btrfs_fs_info& fs, const std::string& name) {
  if (name.empty()) return model::BTRFS_FS_TREE_OBJECTID;
  for (const auto& [id, info] : fs.root_send_info) {
    if (info.name != name) continue;
    auto root = fs.roots.find(id);
    if (root != fs.roots.end() && root->second->ref_cows) return id;  // get_fs_root
  }
  return 0;
}

}  // namespace fsrace::sim
