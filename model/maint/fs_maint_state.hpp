// fs_info state of the maintenance operations (scrub, device replace, balance/relocation, send,
// cleaner). Owned by the maintenance engineers; btrfs_fs_info inherits it.
#pragma once

namespace fsrace::model {

struct btrfs_fs_maint_state {};

}  // namespace fsrace::model
