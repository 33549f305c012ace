// fs_info state of scrub and device replace (fs_info->dev_replace, scrub contexts). Owned by the
// scrub/replace engineer.
#pragma once

namespace fsrace::model {

struct btrfs_fs_scrub_state {};

}  // namespace fsrace::model
