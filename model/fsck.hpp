// btrfs check: cross-checks every tree of the in-memory filesystem and reports each problem with the
// objects involved. Runs outside fibers (no scheduling points). Pending delayed refs of a running
// transaction count as applied, like btrfs_lookup_extent_info sees them.
#pragma once
#include <string>
#include <vector>

#include "model/fs_info.hpp"

namespace fsrace::model {

std::vector<std::string> btrfs_check(const btrfs_fs_info& fs_info);

}  // namespace fsrace::model
