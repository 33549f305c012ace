#include "model/maint/balance.hpp"

#include <cerrno>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "model/ctree.hpp"
#include "model/fs_info.hpp"
#include "model/maint/relocation.hpp"
#include "model/transaction.hpp"
#include "model/volumes.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

constexpr uint64_t kMaxChunks = 1u << 16;

// Which send/relocation exclusion the fixes give (the later fixes supersede the earlier ones).
bool send_check_in_balance(const btrfs_fs_info& fs_info) {
  return fs_info.fixes.has("9e967495e0e0") && !fs_info.fixes.has("1cea5cf0e664") && !fs_info.fixes.has("d96b34248c2f");
}
bool send_check_in_relocation(const btrfs_fs_info& fs_info) {
  return fs_info.fixes.has("1cea5cf0e664") && !fs_info.fixes.has("d96b34248c2f");
}

struct chunk_ref {
  uint64_t offset = 0, length = 0, type = 0;
};

// The chunk item with the largest offset below `before` (the kernel's backwards chunk tree search).
std::optional<chunk_ref> chunk_before(btrfs_fs_info& fs_info, uint64_t before) {
  sched::point(sched::L("btrfs_search_slot(chunk root, offset < {})", before));
  std::optional<chunk_ref> found;
  btrfs_for_each_item(fs_info, fs_info.chunk_root(), {BTRFS_FIRST_CHUNK_TREE_OBJECTID, BTRFS_CHUNK_ITEM_KEY, 0},
                      [&](const btrfs_item& it) {
                        if (it.key.type != BTRFS_CHUNK_ITEM_KEY || it.key.offset >= before) return false;
                        const auto& c = std::get<btrfs_chunk>(it.value);
                        found = chunk_ref{it.key.offset, c.length, c.type};
                        return true;
                      });
  return found;
}

// should_balance_chunk: the type flags and this type's filters.
bool should_balance_chunk(btrfs_fs_info& fs_info, btrfs_balance_control& bctl, const chunk_ref& chunk,
                          std::map<uint64_t, uint64_t>& taken_per_type) {
  const uint64_t type = chunk.type & BTRFS_BLOCK_GROUP_TYPE_MASK;
  const btrfs_balance_args* args = nullptr;
  if (type & BTRFS_BLOCK_GROUP_DATA) {
    if (bctl.flags & BTRFS_BALANCE_DATA) args = &bctl.data;
  } else if (type & BTRFS_BLOCK_GROUP_SYSTEM) {
    if (bctl.flags & BTRFS_BALANCE_SYSTEM) args = &bctl.sys;
  } else if (bctl.flags & BTRFS_BALANCE_METADATA) {
    args = &bctl.meta;
  }
  if (!args) return false;
  if (args->usage >= 0) {  // chunk_usage_filter
    block_group_ptr bg = btrfs_lookup_block_group(fs_info, chunk.offset);
    if (!bg) return false;
    const uint64_t thresh = args->usage == 0 ? 1 : args->usage > 100 ? bg->length : bg->length * uint64_t(args->usage) / 100;
    if (bg->used >= thresh) return false;
  }
  if (args->vend > args->vstart &&  // chunk_vrange_filter
      !(chunk.offset < args->vend && chunk.offset + chunk.length > args->vstart))
    return false;
  if (args->limit && taken_per_type[type] >= args->limit) return false;
  taken_per_type[type]++;
  return true;
}

// __btrfs_balance: the chunks from the highest offset down; new chunks (above the cursor) are not
// revisited.
int __btrfs_balance(btrfs_fs_info& fs_info) {
  btrfs_balance_control& bctl = *fs_info.balance_ctl;
  std::map<uint64_t, uint64_t> taken_per_type;
  uint64_t cursor = ~0ull;
  int enospc_errors = 0;
  // 67c5e7d464bc: the cleaner's mutex (reclaim_bgs_lock) from the search of each chunk until its
  // relocation returned, so that the cleaner cannot remove the same empty chunk meanwhile.
  const bool exclude_cleaner = fs_info.fixes.has("67c5e7d464bc");
  auto lock = [&] { if (exclude_cleaner) fs_info.reclaim_bgs_lock.lock(); };
  auto unlock = [&] { if (exclude_cleaner) fs_info.reclaim_bgs_lock.unlock(); };
  for (uint64_t n = 0; n < kMaxChunks; ++n) {
    lock();
    const std::optional<chunk_ref> chunk = chunk_before(fs_info, cursor);
    if (!chunk) {
      unlock();
      break;
    }
    cursor = chunk->offset;
    bctl.stat.considered++;
    if (!should_balance_chunk(fs_info, bctl, *chunk, taken_per_type)) {
      unlock();
      continue;
    }
    bctl.stat.expected++;
    const int ret = btrfs_relocate_chunk(fs_info, chunk->offset);
    unlock();
    if (ret == -ENOSPC) {
      enospc_errors++;
      continue;
    }
    if (ret < 0) return ret;
    bctl.stat.completed++;
  }
  if (enospc_errors) {
    fs_info.log(fmt::format("BTRFS info: {} enospc errors during balance", enospc_errors));
    return -ENOSPC;
  }
  return 0;
}

}  // namespace

int btrfs_relocate_chunk(btrfs_fs_info& fs_info, uint64_t chunk_offset) {
  // reloc_chunk_start
  if (send_check_in_relocation(fs_info)) {
    fs_info.send_reloc_lock.lock();
    if (fs_info.send_in_progress) {
      fs_info.log(fmt::format("BTRFS warning: cannot run relocation while send operations are in progress ({} in progress)",
                              fs_info.send_in_progress));
      fs_info.send_reloc_lock.unlock();
      return -EAGAIN;
    }
    fs_info.flags |= BTRFS_FS_RELOC_RUNNING;
    fs_info.send_reloc_lock.unlock();
  } else {
    fs_info.flags |= BTRFS_FS_RELOC_RUNNING;
  }
  // step one: relocate every extent of the chunk's block group (scrub paused meanwhile)
  btrfs_scrub_pause(fs_info);
  int ret = btrfs_relocate_block_group(fs_info, chunk_offset);
  btrfs_scrub_continue(fs_info);
  // reloc_chunk_end
  if (send_check_in_relocation(fs_info)) {
    fs_info.send_reloc_lock.lock();
    fs_info.flags &= ~BTRFS_FS_RELOC_RUNNING;
    fs_info.send_reloc_lock.unlock();
  } else {
    fs_info.flags &= ~BTRFS_FS_RELOC_RUNNING;
  }
  if (ret) return ret;
  // step two: delete the device extents and the chunk tree entries
  auto trans = btrfs_start_transaction(fs_info);
  ret = btrfs_remove_chunk(trans, chunk_offset);
  btrfs_end_transaction(trans);
  return ret;
}

int btrfs_balance(btrfs_fs_info& fs_info, const btrfs_balance_control& bctl_in) {
  if (!(bctl_in.flags & (BTRFS_BALANCE_DATA | BTRFS_BALANCE_METADATA | BTRFS_BALANCE_SYSTEM))) return -EINVAL;
  // btrfs_ioctl_balance: exclusive operations (balance, device add/remove/replace/resize) exclude
  // each other; test and set in one step.
  sched::point(sched::L("btrfs_exclop_start(balance)"));
  if (fs_info.flags & BTRFS_FS_EXCL_OP) return -EBUSY;
  fs_info.flags |= BTRFS_FS_EXCL_OP;

  fs_info.balance_mutex.lock();
  int ret = 0;
  if (send_check_in_balance(fs_info) && fs_info.send_in_progress) {
    fs_info.log(fmt::format("BTRFS warning: Can not run balance while send operations are in progress ({} in progress)",
                            fs_info.send_in_progress));
    ret = -EAGAIN;
  } else {
    fs_info.balance_ctl = bctl_in;
    fs_info.balance_ctl->stat = {};
    fs_info.flags |= BTRFS_FS_BALANCE_RUNNING;
    fs_info.balance_mutex.unlock();
    ret = __btrfs_balance(fs_info);
    fs_info.balance_mutex.lock();
    fs_info.flags &= ~BTRFS_FS_BALANCE_RUNNING;
    fs_info.balance_ctl.reset();
  }
  fs_info.balance_mutex.unlock();

  sched::point(sched::L("btrfs_exclop_finish(balance)"));
  fs_info.flags &= ~BTRFS_FS_EXCL_OP;
  return ret;
}

int btrfs_relocate_nth_block_group(btrfs_fs_info& fs_info, uint64_t type_flag, uint64_t index) {
  fs_info.reclaim_bgs_lock.lock();
  uint64_t seen = 0, target = 0;
  bool found = false;
  for (const auto& [start, bg] : fs_info.block_group_cache_tree) {
    if (!(bg->flags & type_flag)) continue;
    if (seen++ == index) {
      target = start;
      found = true;
      break;
    }
  }
  const int ret = found ? btrfs_relocate_chunk(fs_info, target) : -ENOENT;
  fs_info.reclaim_bgs_lock.unlock();
  return ret;
}

}  // namespace fsrace::model
