#include "sim/state_dump.hpp"

#include <fmt/format.h>

#include "model/fs_info.hpp"
#include "model/key.hpp"
#include "scheduler/strategies/forwarding_strategy.hpp"

namespace fsrace::sim {
namespace {

std::string bg_flags(uint64_t f) {
  std::string out;
  auto add = [&](uint64_t bit, const char* name) {
    if (f & bit) out += (out.empty() ? "" : "|") + std::string(name);
  };
  add(model::BTRFS_BLOCK_GROUP_DATA, "DATA");
  add(model::BTRFS_BLOCK_GROUP_SYSTEM, "SYSTEM");
  add(model::BTRFS_BLOCK_GROUP_METADATA, "METADATA");
  add(model::BTRFS_BLOCK_GROUP_RAID0, "RAID0");
  add(model::BTRFS_BLOCK_GROUP_RAID1, "RAID1");
  add(model::BTRFS_BLOCK_GROUP_DUP, "DUP");
  if (!(f & model::BTRFS_BLOCK_GROUP_PROFILE_MASK)) out += "|single";
  return out;
}

std::string root_name(uint64_t id) {
  switch (id) {
    case model::BTRFS_ROOT_TREE_OBJECTID: return "root tree";
    case model::BTRFS_EXTENT_TREE_OBJECTID: return "extent tree";
    case model::BTRFS_CHUNK_TREE_OBJECTID: return "chunk tree";
    case model::BTRFS_DEV_TREE_OBJECTID: return "dev tree";
    case model::BTRFS_FS_TREE_OBJECTID: return "fs tree";
    case model::BTRFS_CSUM_TREE_OBJECTID: return "csum tree";
    case model::BTRFS_DATA_RELOC_TREE_OBJECTID: return "data reloc tree";
  }
  return id >= model::BTRFS_FIRST_FREE_OBJECTID ? "subvolume" : "tree";
}

const char* trans_state_name(model::trans_state s) {
  switch (s) {
    case model::trans_state::running: return "TRANS_STATE_RUNNING";
    case model::trans_state::commit_start: return "TRANS_STATE_COMMIT_START";
    case model::trans_state::commit_doing: return "TRANS_STATE_COMMIT_DOING";
    case model::trans_state::unblocked: return "TRANS_STATE_UNBLOCKED";
    case model::trans_state::super_committed: return "TRANS_STATE_SUPER_COMMITTED";
    case model::trans_state::completed: return "TRANS_STATE_COMPLETED";
  }
  return "?";
}

std::string ordered_flags(uint32_t f) {
  std::string out;
  auto add = [&](uint32_t bit, const char* name) {
    if (f & bit) out += (out.empty() ? "" : "|") + std::string(name);
  };
  add(model::BTRFS_ORDERED_IO_DONE, "IO_DONE");
  add(model::BTRFS_ORDERED_COMPLETE, "COMPLETE");
  add(model::BTRFS_ORDERED_NOCOW, "NOCOW");
  add(model::BTRFS_ORDERED_PREALLOC, "PREALLOC");
  add(model::BTRFS_ORDERED_DIRECT, "DIRECT");
  add(model::BTRFS_ORDERED_IOERR, "IOERR");
  return out.empty() ? "-" : out;
}

// Every lock that is held or waited on, with who holds it and who waits, oldest first. A lock handed over
// on release to a waiter that has not run since is held by that waiter (the primitives hand off FIFO): its
// thread is "woken" and its next step returns from the wait holding the lock.
class lock_lister {
 public:
  explicit lock_lister(const sched::Scheduler& s) : sched_(s) {}
  template <class L>
  void exclusive(const L& lock, const std::string& prefix = {}) {
    const auto waiting = lock.waiters();
    if (!lock.is_locked() && waiting.empty()) return;
    std::string line = fmt::format("  {}{}: ", prefix, lock.name());
    line += lock.is_locked() ? "held by " + holder(lock.owner()) : std::string("free");
    if (!waiting.empty()) {
      line += "; waiting:";
      for (sched::FiberId f : waiting) line += " " + who(f);
    }
    out_ += line + "\n";
  }
  void rw(const sched::RwSemaphore& sem, const std::string& prefix = {}) {
    const auto waiting = sem.waiters();
    if (!sem.write_locked() && !sem.readers() && waiting.empty()) return;
    std::string line = fmt::format("  {}{}: ", prefix, sem.name());
    if (sem.write_locked()) {
      line += "held for writing by " + holder(sem.writer());
    } else if (sem.readers()) {
      line += fmt::format("held for reading by {} reader{}:", sem.readers(), sem.readers() == 1 ? "" : "s");
      for (sched::FiberId f : sem.reader_fibers()) line += " " + holder(f);
    } else {
      line += "free";
    }
    if (!waiting.empty()) {
      line += "; waiting:";
      for (const auto& [f, write] : waiting) line += fmt::format(" {} ({})", who(f), write ? "write" : "read");
    }
    out_ += line + "\n";
  }
  const std::string& text() const { return out_; }

 private:
  std::string who(sched::FiberId f) const {
    return f < sched_.fiber_count() ? sched_.fiber_name(f) : fmt::format("fiber {}", f);
  }
  std::string holder(sched::FiberId f) const {
    if (f < sched_.fiber_count() && std::string_view(sched_.fiber_state(f)) == "woken")
      return who(f) + " (handed over while it waited; its next step returns from " +
             sched::format_label(sched_.pending_label(f)) + " holding it)";
    return who(f);
  }
  const sched::Scheduler& sched_;
  std::string out_;
};

// Ends nothing: it only looks before the chosen step and lets `inner` choose.
class until_step final : public sched::ForwardingStrategy {
 public:
  until_step(sched::Strategy& inner, uint64_t step, const executor& exec) : ForwardingStrategy(inner), step_(step), exec_(exec) {}
  size_t choose(const sched::Decision& d) override {
    if (d.step == step_ && !dump_ && d.scheduler) {
      dump_ = state_at_step{describe_state(exec_.current_world().fs(), *d.scheduler), {}};
      for (sched::FiberId f = 0; f < d.scheduler->fiber_count(); ++f)
        dump_->woken.push_back(std::string_view(d.scheduler->fiber_state(f)) == "woken");
    }
    return inner().choose(d);
  }
  std::optional<state_at_step> dump_;

 private:
  uint64_t step_;
  const executor& exec_;
};

}  // namespace

std::string describe_state(const model::btrfs_fs_info* fs, const sched::Scheduler& scheduler) {
  std::string out = "threads:\n";
  for (sched::FiberId f = 0; f < scheduler.fiber_count(); ++f) {
    const std::string state = scheduler.fiber_state(f);
    const std::string label = sched::format_label(scheduler.pending_label(f));
    out += fmt::format("  {:<16} {:<9} {}\n", scheduler.fiber_name(f), state,
                       state == "finished"  ? std::string()
                       : state == "blocked" ? "waits in " + label
                       : state == "woken"   ? "its wait in " + label + " ended; its next step returns from it"
                                            : "next: " + label);
  }
  if (!fs) return out;
  lock_lister locks(scheduler);
  // Transaction.
  out += fmt::format("\ntransaction: generation (last committed) {}, last started {}\n", fs->generation, fs->last_transid_started);
  size_t new_bgs = 0;  // on some handle's new_bgs (BLOCK_GROUP_FLAG_NEW)
  for (const auto& [start, bg] : fs->block_group_cache_tree) new_bgs += bg->on_new_bgs;
  if (const auto& t = fs->running_transaction)
    out += fmt::format("  running transid {}: {}, {} writer{}, {} delayed ref head{}, {} dirty block group{}, {} new block group{}\n",
                       t->transid, trans_state_name(t->state), t->num_writers, t->num_writers == 1 ? "" : "s",
                       t->delayed_refs.heads.size(), t->delayed_refs.heads.size() == 1 ? "" : "s", t->dirty_bgs.size(),
                       t->dirty_bgs.size() == 1 ? "" : "s", new_bgs, new_bgs == 1 ? "" : "s");
  else
    out += "  no running transaction\n";
  if (fs->flags || fs->send_in_progress || fs->last_reloc_trans)
    out += fmt::format("  fs_info: flags{}{}, send_in_progress {}, last_reloc_trans {}\n",
                       fs->flags & model::BTRFS_FS_BALANCE_RUNNING ? " BALANCE_RUNNING" : "",
                       fs->flags & model::BTRFS_FS_EXCL_OP ? " EXCL_OP" : (fs->flags ? "" : " 0"), fs->send_in_progress,
                       fs->last_reloc_trans);
  // Block groups.
  out += fmt::format("\nblock groups ({}):\n", fs->block_group_cache_tree.size());
  for (const auto& [start, bg] : fs->block_group_cache_tree) {
    out += fmt::format("  bg {} {} length {} used {} pinned {} reserved {} free {} ro {} reservations {} nocow_writers {}{}{}{}\n",
                       start, bg_flags(bg->flags), bg->length, bg->used, bg->pinned, bg->reserved, bg->free_bytes(), bg->ro,
                       bg->reservations.peek(), bg->nocow_writers.peek(), bg->removed ? " REMOVED" : "",
                       bg->dirty ? " dirty" : "", bg->on_unused_list ? " on unused_bgs" : "");
    locks.exclusive(bg->lock, fmt::format("bg {} ", start));
  }
  if (!fs->unused_bgs.empty()) {
    out += "  unused_bgs:";
    for (uint64_t s : fs->unused_bgs) out += fmt::format(" {}", s);
    out += "\n";
  }
  if (!fs->pinned_extents.empty()) out += fmt::format("  pinned extents: {}\n", fs->pinned_extents.size());
  // Trees.
  out += fmt::format("\ntrees ({}):\n", fs->roots.size());
  for (const auto& [id, root] : fs->roots) {
    out += fmt::format("  root {} ({}): node {} level {}, commit root {} level {} gen {}, last_trans {}{}{}\n", id, root_name(id),
                       root->node, root->level, root->commit_root, root->commit_root_level, root->commit_root_gen, root->last_trans,
                       root->dirty ? ", dirty" : "", root->is_readonly() ? ", read-only" : "");
    locks.rw(root->lock, fmt::format("root {} ({}) ", id, root_name(id)));
  }
  // Ordered extents.
  out += fmt::format("\nordered extents ({}):\n", fs->ordered_extents.size());
  for (const auto& [id, oe] : fs->ordered_extents)
    out += fmt::format("  ordered {}: root {} ino {} file {}+{} disk {}+{} bytes_left {} flags {} refs {}\n", id, oe.root, oe.ino,
                       oe.file_offset, oe.len, oe.start, oe.disk_len, oe.bytes_left, ordered_flags(oe.flags), oe.refs);
  // Locks of fs_info (those of block groups and roots were collected above).
  locks.exclusive(fs->unused_bgs_lock);
  locks.exclusive(fs->trans_lock);
  locks.exclusive(fs->trans_commit_mutex);
  locks.rw(fs->commit_root_sem);
  locks.exclusive(fs->chunk_mutex);
  locks.exclusive(fs->balance_mutex);
  locks.exclusive(fs->cleaner_mutex);
  locks.exclusive(fs->reclaim_bgs_lock);
  locks.exclusive(fs->reloc_mutex);
  locks.exclusive(fs->scrub_lock);
  locks.exclusive(fs->ordered_operations_mutex);
  locks.exclusive(fs->send_reloc_lock);
  locks.rw(fs->subvol_sem);
  for (const auto& [id, rd] : fs->data_roots)  // each root's top directory
    locks.rw(rd.dir_i_rwsem, fmt::format("root {} ({}) ", id, root_name(id)));
  for (const auto& si : fs->space_info) locks.rw(si.groups_sem, si.flags & model::BTRFS_BLOCK_GROUP_DATA       ? "DATA "
                                                            : si.flags & model::BTRFS_BLOCK_GROUP_METADATA ? "METADATA "
                                                                                                           : "SYSTEM ");
  out += "\nlocks held or waited on (waiters oldest first):\n" + (locks.text().empty() ? std::string("  none\n") : locks.text());
  out += "(other waits: the blocked threads above, each in the operation it waits in)\n";
  return out;
}

std::optional<state_at_step> state_before_step(const prepared_scenario& prepared, const fix_setting& fixes,
                                             const std::vector<sched::FiberId>& decisions, uint64_t max_steps, uint64_t step) {
  executor exec(prepared, max_steps, false);
  exec.set_fixes(resolve_fixes(prepared.the_scenario().fixes, fixes));
  decision_follower follow(decisions);
  until_step until(follow, step, exec);
  sched::Execution ex;
  exec.run(until, 0, ex);
  return until.dump_;
}

}  // namespace fsrace::sim
