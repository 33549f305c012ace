// fs_info state of send (send contexts) and snapshot creation. Owned by the send engineer.
#pragma once

namespace fsrace::model {

struct btrfs_fs_send_state {};

}  // namespace fsrace::model
