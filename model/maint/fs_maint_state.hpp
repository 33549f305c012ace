// fs_info state of the maintenance operations, one base per operation so that each engineer owns a
// file: scrub and device replace, balance / relocation, send.
#pragma once
#include "model/maint/balance_state.hpp"
#include "model/maint/scrub_state.hpp"
#include "model/maint/send_state.hpp"

namespace fsrace::model {

struct btrfs_fs_maint_state : btrfs_fs_scrub_state, btrfs_fs_balance_state, btrfs_fs_send_state {};

}  // namespace fsrace::model
