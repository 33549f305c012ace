// btrfs_ioctl_send and send_subvol (send.c), with the send/relocation exclusions of 9e967495e0e0,
// 1cea5cf0e664 and the EXCL_OP review alternative, or the concurrent design of d96b34248c2f.
#include "model/maint/send.hpp"

#include <cerrno>

#include <fmt/format.h>

#include "model/fs_info.hpp"
#include "model/maint/send_ctx.hpp"
#include "model/transaction.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

enum class send_exclusion { none, balance, relocation };

// Which exclusion between send and relocation the fixes give. d96b34248c2f removed both earlier
// ones (send and relocation run concurrently again).
send_exclusion exclusion_of(const fix_set& fixes) {
  if (fixes.has("d96b34248c2f")) return send_exclusion::none;
  if (fixes.has("1cea5cf0e664")) return send_exclusion::relocation;
  if (fixes.has("9e967495e0e0")) return send_exclusion::balance;
  return send_exclusion::none;
}

// Takes what the fixes require before send_subvol; undone by send_exclusion_end.
int send_exclusion_start(btrfs_fs_info& fs_info, send_exclusion ex, bool excl_op) {
  if (excl_op) {
    // Review suggestion: send is an exclusive operation like balance and device add/remove/replace.
    sched::point(sched::L("btrfs_exclop_start(send)"));
    if (fs_info.flags & BTRFS_FS_EXCL_OP) {
      fs_info.log("BTRFS warning: cannot run send because another exclusive operation is in progress");
      return -EBUSY;
    }
    fs_info.flags |= BTRFS_FS_EXCL_OP;
  }
  int ret = 0;
  if (ex == send_exclusion::balance) {
    fs_info.balance_mutex.lock();
    if (fs_info.flags & BTRFS_FS_BALANCE_RUNNING) {
      fs_info.log("BTRFS warning: Can not run send because a balance operation is in progress");
      ret = -EAGAIN;
    } else {
      fs_info.send_in_progress++;
    }
    fs_info.balance_mutex.unlock();
  } else if (ex == send_exclusion::relocation) {
    fs_info.send_reloc_lock.lock();
    if (fs_info.flags & BTRFS_FS_RELOC_RUNNING) {
      fs_info.log("BTRFS warning: cannot run send because a relocation operation is in progress");
      ret = -EAGAIN;
    } else {
      fs_info.send_in_progress++;
    }
    fs_info.send_reloc_lock.unlock();
  }
  if (ret && excl_op) fs_info.flags &= ~BTRFS_FS_EXCL_OP;
  return ret;
}

void send_exclusion_end(btrfs_fs_info& fs_info, send_exclusion ex, bool excl_op) {
  if (ex == send_exclusion::balance) {
    fs_info.balance_mutex.lock();
    fs_info.send_in_progress--;
    fs_info.balance_mutex.unlock();
  } else if (ex == send_exclusion::relocation) {
    fs_info.send_reloc_lock.lock();
    fs_info.send_in_progress--;
    fs_info.send_reloc_lock.unlock();
  }
  if (excl_op) {
    sched::point(sched::L("btrfs_exclop_finish(send)"));
    fs_info.flags &= ~BTRFS_FS_EXCL_OP;
  }
}

uint64_t root_ctransid(btrfs_fs_info& fs_info, const btrfs_root& root) {
  auto it = fs_info.root_send_info.find(root.objectid);
  return it != fs_info.root_send_info.end() && it->second.ctransid ? it->second.ctransid : root.root_item.generation;
}

std::string root_name(btrfs_fs_info& fs_info, uint64_t objectid) {
  auto it = fs_info.root_send_info.find(objectid);
  return it != fs_info.root_send_info.end() && !it->second.name.empty() ? it->second.name
                                                                        : fmt::format("subvol{}", objectid);
}

// ensure_commit_roots_uptodate: send reads commit roots, so a root changed since the last commit
// (a snapshot created in the running transaction) is committed first.
int ensure_commit_roots_uptodate(btrfs_fs_info& fs_info, btrfs_root& send_root, btrfs_root* parent) {
  if (send_root.node == send_root.commit_root && (!parent || parent->node == parent->commit_root)) return 0;
  return btrfs_commit_current(fs_info);
}

int send_subvol(send_ctx& sctx) {
  btrfs_fs_info& fs_info = sctx.fs_info;
  send_command first;
  first.path = root_name(fs_info, sctx.send_root.objectid);
  first.uuid = sctx.send_root.objectid;
  first.ctransid = root_ctransid(fs_info, sctx.send_root);
  if (sctx.parent_root) {
    first.cmd = send_cmd::snapshot;
    first.clone_uuid = sctx.parent_root->objectid;
    first.clone_ctransid = root_ctransid(fs_info, *sctx.parent_root);
  } else {
    first.cmd = send_cmd::subvol;
  }
  emit(sctx, std::move(first));
  int ret = sctx.parent_root ? btrfs_compare_trees(sctx) : full_send_tree(sctx);
  if (ret) return ret;
  if ((ret = finish_inode_if_needed(sctx, true))) return ret;
  send_command end;
  end.cmd = send_cmd::end;
  emit(sctx, std::move(end));
  return 0;
}

}  // namespace

int btrfs_ioctl_send(btrfs_fs_info& fs_info, uint64_t send_root_id, uint64_t parent_root_id, send_stream_ptr* out) {
  sched::point(sched::L("btrfs_ioctl_send(send root {}, parent root {})", send_root_id, parent_root_id));
  btrfs_root* send_root = fs_info.get_fs_root(send_root_id);
  if (!send_root) return -ENOENT;
  // The send root must be read-only for the whole send: root->send_in_progress pins it
  // (btrfs_ioctl_subvol_setflags refuses to make it writable meanwhile).
  if (!send_root->is_readonly()) return -EPERM;
  // btrfs_root_dead: "if the subvolume is marked for deletion but is slow to remove the directory
  // entry, send can still be started" (send.c): -EPERM, for the parent too.
  if (send_root->root_item.flags & BTRFS_ROOT_SUBVOL_DEAD) return -EPERM;
  btrfs_root* parent = nullptr;
  if (parent_root_id) {
    parent = fs_info.get_fs_root(parent_root_id);
    if (!parent) return -ENOENT;
    if (!parent->is_readonly() || (parent->root_item.flags & BTRFS_ROOT_SUBVOL_DEAD)) return -EPERM;
  }
  // 62d54f3a7fa2: under root_item_lock, no send of a read-only root (nor from a parent) being deduped.
  const bool exclude_dedupe = fs_info.fixes.has("62d54f3a7fa2");
  if (exclude_dedupe && fs_info.root_send_info[send_root_id].dedupe_in_progress) {
    fs_info.log(fmt::format("BTRFS warning: cannot use root {} for send while deduplications on it are in progress "
                            "({} in progress)", send_root_id, fs_info.root_send_info[send_root_id].dedupe_in_progress));
    return -EAGAIN;
  }
  if (exclude_dedupe && parent && fs_info.root_send_info[parent_root_id].dedupe_in_progress) {
    fs_info.log(fmt::format("BTRFS warning: cannot use root {} for send while deduplications on it are in progress "
                            "({} in progress)", parent_root_id, fs_info.root_send_info[parent_root_id].dedupe_in_progress));
    return -EAGAIN;
  }
  fs_info.root_send_info[send_root_id].send_in_progress++;
  if (parent) fs_info.root_send_info[parent_root_id].send_in_progress++;

  int ret = ensure_commit_roots_uptodate(fs_info, *send_root, parent);
  const send_exclusion ex = exclusion_of(fs_info.fixes);
  const bool excl_op = fs_info.fixes.has("excl_op");
  if (!ret) ret = send_exclusion_start(fs_info, ex, excl_op);
  if (!ret) {
    send_ctx sctx{fs_info, *send_root, parent};
    sctx.stream.send_root = send_root_id;
    sctx.stream.parent_root = parent_root_id;
    sctx.cloned_buffers = fs_info.fixes.has("d96b34248c2f");
    for (uint64_t r = send_root_id, depth = 0; r && depth < 64; ++depth) {  // root_item.parent_uuid chain
      sctx.backref_roots.push_back(r);
      auto it = fs_info.root_send_info.find(r);
      r = it == fs_info.root_send_info.end() ? 0 : it->second.parent_uuid;
    }
    // current->journal_info = BTRFS_SEND_TRANS_STUB: send never holds a transaction handle.
    ret = send_subvol(sctx);
    send_exclusion_end(fs_info, ex, excl_op);
    if (!ret && out) *out = std::make_shared<const send_stream>(std::move(sctx.stream));
  }
  fs_info.root_send_info[send_root_id].send_in_progress--;
  if (parent) fs_info.root_send_info[parent_root_id].send_in_progress--;
  return ret;
}

}  // namespace fsrace::model
