// fs_info state of balance / relocation (balance_ctl, reloc_ctl). Owned by the relocation engineer.
#pragma once

namespace fsrace::model {

struct btrfs_fs_balance_state {};

}  // namespace fsrace::model
