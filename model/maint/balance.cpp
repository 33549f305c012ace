#include "model/maint/balance.hpp"

#include <cerrno>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "model/ctree.hpp"
#include "model/fs_info.hpp"
#include "model/maint/relocation.hpp"
#include "model/maint/relocation_internal.hpp"
#include "model/transaction.hpp"
#include "model/volumes.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

using sched::FootprintScope;

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
  // Reads the chunk tree (btrfs_for_each_item: ctree.cpp, no scope of its own; reloc_fp::read_tree).
  sched::Footprint claim = sched::declared();
  FootprintScope scope(reloc_fp::read_tree(claim, BTRFS_CHUNK_TREE_OBJECTID));
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
  // Reads the balance control (the caller's) and, for the usage filter, a block group found in the cache
  // tree (btrfs_lookup_block_group: reads the tree of groups, any group's start and length).
  FootprintScope scope(sched::declared().reads_from(fp::balance()).touch_kind(sched::ObjectKind::BlockGroup, false));
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
// revisited. Before each chunk it looks at balance_pause_req / balance_cancel_req (-ECANCELED).
int __btrfs_balance(btrfs_fs_info& fs_info) {
  // Own code: balance_ctl and its stats, the pause/cancel requests (Balance), the enospc message (log);
  // reclaim_bgs_lock is a primitive; chunk_before, should_balance_chunk, btrfs_relocate_chunk open scopes.
  FootprintScope scope(sched::declared().writes_to(fp::balance()).writes_to(reloc_fp::kernel_log()));
  btrfs_balance_control& bctl = *fs_info.balance_ctl;
  std::map<uint64_t, uint64_t> taken_per_type;
  uint64_t cursor = ~0ull;
  int enospc_errors = 0;
  int ret = 0;
  bctl.stat = {};  // zero out stat counters (a resume starts them again)
  // 67c5e7d464bc: the cleaner's mutex (reclaim_bgs_lock) from the search of each chunk until its
  // relocation returned, so that the cleaner cannot remove the same empty chunk meanwhile.
  const bool exclude_cleaner = fs_info.fixes.has("67c5e7d464bc");
  auto lock = [&] { if (exclude_cleaner) fs_info.reclaim_bgs_lock.lock(); };
  auto unlock = [&] { if (exclude_cleaner) fs_info.reclaim_bgs_lock.unlock(); };
  for (uint64_t n = 0; n < kMaxChunks; ++n) {
    // The kernel's counting pass (not modelled) skips the pause check; this is the relocating pass.
    if (fs_info.balance_pause_req || fs_info.balance_cancel_req) {
      ret = -ECANCELED;
      break;
    }
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
    ret = btrfs_relocate_chunk(fs_info, chunk->offset);
    unlock();
    if (ret == -ENOSPC) {
      enospc_errors++;
      ret = 0;
      continue;
    }
    if (ret < 0) break;
    bctl.stat.completed++;
  }
  if (enospc_errors) {
    fs_info.log(fmt::format("BTRFS info: {} enospc errors during balance", enospc_errors));
    if (!ret) ret = -ENOSPC;
  }
  return ret;
}

// update_balance_args: a resumed balance skips chunks it probably did already: the usage filter at
// 90% for every type that has none (the model has no convert filter, whose soft mode 6.1 sets here).
void update_balance_args(btrfs_balance_control& bctl) {
  for (btrfs_balance_args* args : {&bctl.data, &bctl.sys, &bctl.meta})
    if (args->usage < 0) args->usage = 90;
}

// btrfs_exclop_start(BTRFS_EXCLOP_BALANCE): test and set in one step (under super_lock).
bool btrfs_exclop_start_balance(btrfs_fs_info& fs_info) {
  sched::point(sched::L("btrfs_exclop_start(balance)"));
  // BTRFS_FS_EXCL_OP: the exclusive operation state (Balance, model/footprints.hpp).
  FootprintScope scope(sched::touching(fp::balance()));
  if (fs_info.flags & BTRFS_FS_EXCL_OP) return false;
  fs_info.flags |= BTRFS_FS_EXCL_OP;
  return true;
}

// btrfs_exclop_finish. The model releases balance_mutex before it (its order from before pause and
// cancel existed); 6.1 finishes under the mutex, which changes no outcome: a balance start that
// meanwhile finds balance_ctl gone reports another exclusive operation either way.
void btrfs_exclop_finish_balance(btrfs_fs_info& fs_info) {
  sched::point(sched::L("btrfs_exclop_finish(balance)"));
  // BTRFS_FS_EXCL_OP and the paused state: the exclusive operation state (Balance).
  FootprintScope scope(sched::touching(fp::balance()));
  fs_info.flags &= ~BTRFS_FS_EXCL_OP;
  fs_info.exclop_balance_paused = false;
}

// btrfs_try_lock_balance (ioctl.c): 0 with balance_mutex held, `excl_acquired` telling whether this
// thread took the exclusive operation (false: a paused balance holds it), or an error without it.
int btrfs_try_lock_balance(btrfs_fs_info& fs_info, bool& excl_acquired) {
  // balance_ctl and BTRFS_FS_BALANCE_RUNNING (Balance); balance_mutex is a primitive; exclop start has a scope.
  FootprintScope scope(sched::declared().reads_from(fp::balance()));
  excl_acquired = false;
  for (;;) {
    if (btrfs_exclop_start_balance(fs_info)) {
      excl_acquired = true;
      fs_info.balance_mutex.lock();
      return 0;
    }
    fs_info.balance_mutex.lock();
    if (!fs_info.balance_ctl) {  // another exclusive operation (BTRFS_ERROR_DEV_EXCL_RUN_IN_PROGRESS)
      fs_info.balance_mutex.unlock();
      return -EBUSY;
    }
    if (fs_info.flags & BTRFS_FS_BALANCE_RUNNING) {
      fs_info.balance_mutex.unlock();
      return -EINPROGRESS;
    }
    // Paused: let other waiters of the mutex go first, then look again.
    fs_info.balance_mutex.unlock();
    fs_info.balance_mutex.lock();
    if (fs_info.balance_ctl && !(fs_info.flags & BTRFS_FS_BALANCE_RUNNING)) return 0;
    fs_info.balance_mutex.unlock();
  }
}

// balance_need_close (before b19c98f237cd): a cancel was requested, or the balance ended normally.
bool balance_need_close(const btrfs_fs_info& fs_info) {
  return fs_info.balance_cancel_req || (fs_info.balance_pause_req == 0 && fs_info.balance_cancel_req == 0);
}

// btrfs_balance proper, entered with balance_mutex held and the exclusive operation taken (or handed
// over by the paused balance); returns with balance_mutex released.
int btrfs_balance_locked(btrfs_fs_info& fs_info, const btrfs_balance_control& bctl_in) {
  // Own code: pause/cancel requests, balance_ctl, BTRFS_FS_BALANCE_RUNNING (Balance), send_in_progress
  // (Send, read), messages (log), balance_wait_q's waiters (its own object, read); balance_mutex and the
  // wake-up are primitives; __btrfs_balance and exclop finish open scopes; reset_balance_state: balance_ctl.
  FootprintScope scope(sched::declared()
                           .writes_to(fp::balance())
                           .reads_from(fp::send())
                           .reads_from(fp::relocation())  // btrfs_should_cancel_balance: reloc_cancel_req
                           .writes_to(reloc_fp::kernel_log())
                           .reads_from(sched::lock_id(fs_info.balance_wait_q.name())));
  const bool resume = bctl_in.flags & BTRFS_BALANCE_RESUME;
  int ret = 0;
  if (fs_info.balance_pause_req || btrfs_should_cancel_balance(fs_info)) {
    ret = -EINVAL;
  } else if (send_check_in_balance(fs_info) && fs_info.send_in_progress) {
    fs_info.log(fmt::format("BTRFS warning: Can not run balance while send operations are in progress ({} in progress)",
                            fs_info.send_in_progress));
    ret = -EAGAIN;
  }
  if (ret) {  // out:
    if (resume) reset_balance_state(fs_info);
    fs_info.balance_mutex.unlock();
    btrfs_exclop_finish_balance(fs_info);
    return ret;
  }
  if (!resume) {
    FSRACE_BUG_ON(fs_info.balance_ctl.has_value(), "btrfs_balance: balance_ctl already set");
    fs_info.balance_ctl = bctl_in;
  } else {
    update_balance_args(*fs_info.balance_ctl);
  }
  FSRACE_ASSERT(!(fs_info.flags & BTRFS_FS_BALANCE_RUNNING), "btrfs_balance: BTRFS_FS_BALANCE_RUNNING already set");
  fs_info.flags |= BTRFS_FS_BALANCE_RUNNING;
  if (resume) fs_info.log("BTRFS info: balance: resume");
  fs_info.balance_mutex.unlock();

  ret = __btrfs_balance(fs_info);

  fs_info.balance_mutex.lock();
  bool paused = false;
  if (ret == -ECANCELED && fs_info.balance_pause_req) {
    fs_info.log("BTRFS info: balance: paused");
    fs_info.exclop_balance_paused = true;  // btrfs_exclop_balance(BTRFS_EXCLOP_BALANCE_PAUSED)
    paused = true;
  } else if (ret == -ECANCELED) {
    fs_info.log("BTRFS info: balance: canceled");
  } else if (ret) {
    fs_info.log(fmt::format("BTRFS info: balance: ended with status: {}", ret));
  }
  fs_info.flags &= ~BTRFS_FS_BALANCE_RUNNING;
  // b19c98f237cd: clean up unless the balance really paused. Before it: on an error other than
  // -ECANCELED and -ENOSPC, or when balance_need_close() (a cancel request, or neither request), so a
  // balance that finished with a late pause request pending kept balance_ctl and the exclusive operation.
  const bool clean_up = fs_info.fixes.has("b19c98f237cd")
                            ? !paused
                            : (ret && ret != -ECANCELED && ret != -ENOSPC) || balance_need_close(fs_info);
  if (clean_up) reset_balance_state(fs_info);  // a paused balance keeps balance_ctl for its resume
  // wake_up(balance_wait_q): only pause and cancel sleep there; with nobody waiting it changes
  // nothing, so the balances of scenarios without them get no extra scheduling point.
  if (fs_info.balance_wait_q.has_waiters()) fs_info.balance_wait_q.wake_up();
  fs_info.balance_mutex.unlock();
  if (clean_up) btrfs_exclop_finish_balance(fs_info);
  return ret;
}

}  // namespace

int btrfs_relocate_chunk(btrfs_fs_info& fs_info, uint64_t chunk_offset) {
  // Own code: BTRFS_FS_RELOC_RUNNING (Relocation), send_in_progress (Send, read), the message (log);
  // btrfs_scrub_pause/continue (transaction.cpp, no scope): scrub_pause_req, scrubs_paused/running (Scrub)
  // under scrub_lock and scrub_pause_wait (primitives); btrfs_relocate_block_group opens its scope; the
  // chunk removal below has its own.
  FootprintScope scope(sched::declared()
                           .writes_to(fp::relocation())
                           .reads_from(fp::send())
                           .writes_to(fp::scrub())
                           .writes_to(reloc_fp::kernel_log()));
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
  // step two: delete the device extents and the chunk tree entries: start/end transaction, btrfs_remove_chunk
  // (chunk_remove.cpp: chunk, device and extent tree items, the chunk map, devices' bytes_used and update
  // list, space infos, the block group's removal from the cache tree, its space info and the transaction's
  // dirty list; aborts): wide (none of it reaches an inode or the oracle).
  FootprintScope remove(reloc_fp::wide());
  auto trans = btrfs_start_transaction(fs_info);
  ret = btrfs_remove_chunk(trans, chunk_offset);
  btrfs_end_transaction(trans);
  return ret;
}

int btrfs_balance(btrfs_fs_info& fs_info, const btrfs_balance_control& bargs) {
  // Own code: balance_ctl, its flags, the paused exclusive operation (Balance); balance_mutex is a
  // primitive; btrfs_try_lock_balance, exclop finish and btrfs_balance_locked open scopes.
  FootprintScope scope(sched::touching(fp::balance()));
  const bool resume = bargs.flags & BTRFS_BALANCE_RESUME;
  if (!resume && !(bargs.flags & (BTRFS_BALANCE_DATA | BTRFS_BALANCE_METADATA | BTRFS_BALANCE_SYSTEM))) return -EINVAL;
  // btrfs_ioctl_balance: exclusive operations (balance, device add/remove/replace/resize) exclude
  // each other; a paused balance hands its exclusive operation to the resume.
  bool excl_acquired = false;
  int ret = btrfs_try_lock_balance(fs_info, excl_acquired);
  if (ret) return ret;
  if (resume && !fs_info.balance_ctl) {
    ret = -ENOTCONN;
  } else if (!resume && fs_info.balance_ctl) {
    ret = -EINPROGRESS;  // paused
  }
  if (ret) {  // out_unlock:
    fs_info.balance_mutex.unlock();
    if (excl_acquired) btrfs_exclop_finish_balance(fs_info);
    return ret;
  }
  if (resume) {
    fs_info.balance_ctl->flags |= BTRFS_BALANCE_RESUME;
    // btrfs_exclop_balance(BTRFS_EXCLOP_BALANCE)
    FSRACE_ASSERT(fs_info.exclop_balance_paused, "btrfs_exclop_balance: exclusive operation is not a paused balance");
    fs_info.exclop_balance_paused = false;
    return btrfs_balance_locked(fs_info, *fs_info.balance_ctl);
  }
  return btrfs_balance_locked(fs_info, bargs);
}

int btrfs_resume_balance(btrfs_fs_info& fs_info) {
  btrfs_balance_control bargs;
  bargs.flags = BTRFS_BALANCE_RESUME;
  return btrfs_balance(fs_info, bargs);
}

int btrfs_pause_balance(btrfs_fs_info& fs_info) {
  fs_info.balance_mutex.lock();
  if (!fs_info.balance_ctl) {
    fs_info.balance_mutex.unlock();
    return -ENOTCONN;
  }
  int ret = 0;
  if (fs_info.flags & BTRFS_FS_BALANCE_RUNNING) {
    fs_info.balance_pause_req++;
    fs_info.balance_mutex.unlock();
    fs_info.balance_wait_q.wait_event([&] { return !(fs_info.flags & BTRFS_FS_BALANCE_RUNNING); });
    fs_info.balance_mutex.lock();
    // "we are good with balance_ctl ripped off from under us"
    FSRACE_BUG_ON(fs_info.flags & BTRFS_FS_BALANCE_RUNNING, "btrfs_pause_balance: balance running again");
    fs_info.balance_pause_req--;
  } else {
    ret = -ENOTCONN;  // paused already
  }
  fs_info.balance_mutex.unlock();
  return ret;
}

int btrfs_cancel_balance(btrfs_fs_info& fs_info) {
  fs_info.balance_mutex.lock();
  if (!fs_info.balance_ctl) {
    fs_info.balance_mutex.unlock();
    return -ENOTCONN;
  }
  // 6.1 refuses a read-only mount here (-EROFS); the model mounts read-write only.
  fs_info.balance_cancel_req++;
  if (fs_info.flags & BTRFS_FS_BALANCE_RUNNING) {
    // The balancing thread tears itself down (and deletes balance_ctl); wait for it.
    fs_info.balance_mutex.unlock();
    fs_info.balance_wait_q.wait_event([&] { return !(fs_info.flags & BTRFS_FS_BALANCE_RUNNING); });
    fs_info.balance_mutex.lock();
  } else {
    // Paused: let other waiters of the mutex go first, then look again.
    fs_info.balance_mutex.unlock();
    fs_info.balance_mutex.lock();
    if (fs_info.balance_ctl) {
      reset_balance_state(fs_info);
      btrfs_exclop_finish_balance(fs_info);
      fs_info.log("BTRFS info: balance: canceled");
    }
  }
  if (fs_info.fixes.has("29eefa6d0d07")) {
    FSRACE_ASSERT(!(fs_info.flags & BTRFS_FS_BALANCE_RUNNING), "btrfs_cancel_balance: balance running after cancel");
  } else {
    // Before 29eefa6d0d07: a balance that a pause stopped keeps balance_ctl (b19c98f237cd) and this fires.
    FSRACE_BUG_ON(fs_info.balance_ctl || (fs_info.flags & BTRFS_FS_BALANCE_RUNNING),
                  "btrfs_cancel_balance: balance_ctl or BTRFS_FS_BALANCE_RUNNING after cancel");
  }
  fs_info.balance_cancel_req--;
  fs_info.balance_mutex.unlock();
  return 0;
}

bool btrfs_should_cancel_balance(const btrfs_fs_info& fs_info) {
  return fs_info.balance_cancel_req || fs_info.reloc_cancel_req;  // no fatal signals in the model
}

void reset_balance_state(btrfs_fs_info& fs_info) {
  FSRACE_BUG_ON(!fs_info.balance_ctl, "reset_balance_state: no balance_ctl");
  fs_info.balance_ctl.reset();
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
