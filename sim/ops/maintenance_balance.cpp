// The balance family: btrfs balance with type filters (model/maint/balance.hpp) and the relocation of
// one block group as device shrink / removal do it (btrfs_relocate_chunk without balance).
#include <cerrno>
#include <string>

#include "model/fs_info.hpp"
#include "model/maint/balance.hpp"
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
             "selected type.",
             [](exec_context& ctx, const params& p) {
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
      .allow_errors({-EAGAIN, -EBUSY});

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
