// The balance family: btrfs balance with type filters (model/maint/balance.hpp), its pause, cancel and
// resume, and the relocation of one block group as device shrink / removal do it
// (btrfs_relocate_chunk without balance).
#include <cerrno>
#include <string>

#include "model/fs_info.hpp"
#include "model/maint/balance.hpp"
#include "scheduler/footprint.hpp"
#include "sim/binding.hpp"
#include "sim/ops/block_group_type.hpp"

namespace fsrace::sim {
namespace {

model::btrfs_balance_args balance_args(const params& p) {
  model::btrfs_balance_args args;
  args.usage = int(p.integer("usage"));
  args.limit = uint64_t(p.integer("limit"));
  args.vstart = p.size("vrange_start");
  args.vend = p.size("vrange_end");
  return args;
}

}  // namespace

void register_balance_ops(catalogue& cat) {
  cat.add_op("balance", "balance",
             "btrfs balance start (btrfs_ioctl_balance -> btrfs_balance): takes BTRFS_FS_EXCL_OP (-EBUSY if another "
             "exclusive operation runs), sets BTRFS_FS_BALANCE_RUNNING under balance_mutex (9e967495e0e0: -EAGAIN "
             "while sends run), then relocates every chunk of the selected types that passes the filters, from the "
             "highest logical address down (btrfs_relocate_chunk: btrfs_relocate_block_group, then "
             "btrfs_remove_chunk). No type flag set = all types (--full-balance). The filters apply to every "
             "selected type. Before each chunk it stops with -ECANCELED when paused or canceled (relocation checks "
             "cancel after each extent too); -EINPROGRESS when a balance runs or is paused, -EINVAL when a pause "
             "or cancel request is pending.",
             [](exec_context& ctx, const params& p) {
               // Builds the control from the op's parameters (local) and returns btrfs_balance's result
               // to the runner (this thread's own state): nothing shared; btrfs_balance opens its scopes.
               sched::FootprintScope scope(sched::declared());
               model::btrfs_balance_control bctl;
               uint64_t flags = 0;
               if (p.flag("data")) flags |= model::BTRFS_BALANCE_DATA;
               if (p.flag("metadata")) flags |= model::BTRFS_BALANCE_METADATA;
               if (p.flag("system")) flags |= model::BTRFS_BALANCE_SYSTEM;
               if (flags) bctl.flags = flags;
               bctl.data = bctl.meta = bctl.sys = balance_args(p);
               return model::btrfs_balance(ctx.fs(), bctl);
             })
      .flag("data", "-d: relocate data chunks")
      .optional(false)
      .flag("metadata", "-m: relocate metadata chunks")
      .optional(false)
      .flag("system", "-s: relocate system chunks")
      .optional(false)
      .integer("usage", "usage filter: only chunks less than this percent used (0: only empty chunks); -1 = no filter")
      .optional(-1)
      .range(-1, 100)
      .integer("limit", "limit filter: at most this many chunks of each type; 0 = no limit")
      .optional(0)
      .range(0, 1 << 20)
      .size("vrange_start", "vrange filter: chunks overlapping [vrange_start, vrange_end) of the logical space")
      .optional(0)
      .size("vrange_end", "end of the vrange filter; 0 = no filter")
      .optional(0)
      .allow_errors({-EAGAIN, -EBUSY, -ECANCELED, -EINPROGRESS, -EINVAL})
      .declares_footprint();

  cat.add_op("balance_pause", "balance",
             "btrfs balance pause (btrfs_ioctl_balance_ctl -> btrfs_pause_balance): raises balance_pause_req and "
             "waits on balance_wait_q until BTRFS_FS_BALANCE_RUNNING is clear; the balance stops before its next "
             "chunk, returns -ECANCELED and stays paused (balance_ctl and the exclusive operation kept, "
             "BTRFS_EXCLOP_BALANCE_PAUSED). -ENOTCONN when no balance runs (none, or paused already).",
             [](exec_context& ctx, const params&) { return model::btrfs_pause_balance(ctx.fs()); })
      .allow_errors({-ENOTCONN});

  cat.add_op("balance_cancel", "balance",
             "btrfs balance cancel (btrfs_ioctl_balance_ctl -> btrfs_cancel_balance): raises balance_cancel_req; "
             "a running balance stops at its next check (between chunks, or inside relocation after an extent: "
             "btrfs_should_cancel_balance) and returns -ECANCELED, this thread waiting on balance_wait_q; a "
             "paused one is torn down here (balance_ctl freed, exclusive operation finished). 0, or -ENOTCONN "
             "when there is no balance.",
             [](exec_context& ctx, const params&) { return model::btrfs_cancel_balance(ctx.fs()); })
      .allow_errors({-ENOTCONN});

  cat.add_op("balance_resume", "balance",
             "btrfs balance resume (btrfs_ioctl_balance with BTRFS_BALANCE_RESUME): takes over the paused "
             "balance's exclusive operation (btrfs_try_lock_balance) and runs it again from the highest chunk "
             "down with its own filters, a 90% usage filter added to each type without one (update_balance_args). "
             "-ENOTCONN when nothing is paused, -EINPROGRESS when a balance runs, -EBUSY when another exclusive "
             "operation runs, -EINVAL when a pause or cancel request is pending, -ECANCELED when paused or "
             "canceled again.",
             [](exec_context& ctx, const params&) { return model::btrfs_resume_balance(ctx.fs()); })
      .allow_errors({-ENOTCONN, -EINPROGRESS, -EBUSY, -EINVAL, -ECANCELED, -EAGAIN});

  cat.add_op("relocate_block_group", "balance",
             "Relocates one block group and removes its chunk as device shrink and removal do (btrfs_relocate_chunk "
             "under reclaim_bgs_lock, no balance state): the index-th group of the type in logical order at "
             "the time of the call. 1cea5cf0e664 makes it refuse with -EAGAIN while sends run; before it only "
             "balance checked. -ENOENT when there is no such group.",
             [](exec_context& ctx, const params& p) {
               return model::btrfs_relocate_nth_block_group(ctx.fs(), block_group_type_flag(p.text("type")),
                                                            uint64_t(p.integer("index")));
             })
      .choice("type", {"data", "metadata", "system"}, "block group type")
      .integer("index", "which group of that type: 0 = the lowest logical address")
      .optional(0)
      .range(0, 1 << 20)
      .allow_errors({-EAGAIN});
}

}  // namespace fsrace::sim
