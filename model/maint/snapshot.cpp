// Snapshot and subvolume creation (ioctl.c create_snapshot / create_subvol, transaction.c
// create_pending_snapshot).
#include "model/maint/snapshot.hpp"

#include <cerrno>

#include <fmt/format.h>

#include "model/data/delalloc.hpp"
#include "model/data/inode.hpp"
#include "model/data/nocow.hpp"
#include "model/data/ordered_data.hpp"
#include "model/fs_info.hpp"
#include "model/maint/snapshot_internal.hpp"
#include "model/transaction.hpp"
#include "model/transaction_abort.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

// btrfs_mksubvol: down_write of the parent directory's i_rwsem (its top directory in the model), which
// file creation and unlink in that directory take too.
sched::RwSemaphore& mksubvol_dir_sem(btrfs_fs_info& fs_info, uint64_t parent_root) {
  return btrfs_root_data_of(fs_info, parent_root).dir_i_rwsem;
}

// create_subvol (ioctl.c), under subvol_sem: an empty tree whose top directory is inode 256.
int create_subvol(btrfs_fs_info& fs_info, btrfs_root& parent, std::string_view name, uint64_t* objectid_out) {
  btrfs_trans_handle trans = btrfs_start_transaction(fs_info);
  const uint64_t objectid = btrfs_find_free_root_objectid(fs_info);
  fs_info.highest_root_objectid = objectid;
  btrfs_root& root = btrfs_create_tree(trans, objectid);
  btrfs_inode_item dir;
  dir.mode = 040755;
  dir.generation = dir.transid = trans.transid;
  int ret = btrfs_insert_item(trans, root, {BTRFS_FIRST_FREE_OBJECTID, BTRFS_INODE_ITEM_KEY, 0}, dir);
  if (!ret)
    ret = btrfs_insert_item(trans, root, {BTRFS_FIRST_FREE_OBJECTID, BTRFS_INODE_REF_KEY, BTRFS_FIRST_FREE_OBJECTID},
                            btrfs_inode_ref{0, ".."});
  root.root_item.inode = dir;
  btrfs_root_send_info& info = fs_info.root_send_info[objectid];
  info.ctransid = trans.transid;
  info.name = std::string(name);
  if (!ret) ret = btrfs_link_subvol(trans, parent, objectid, name);
  int cret = btrfs_commit_transaction(trans);
  if (ret) return ret;
  if (cret) return cret;
  if (objectid_out) *objectid_out = objectid;
  return 0;
}

// create_snapshot (ioctl.c), under subvol_sem: the snapshot is created by the commit, in its critical
// section.
int create_snapshot(btrfs_fs_info& fs_info, btrfs_root& src, uint64_t parent_root, std::string_view name,
                    bool readonly, uint64_t* objectid_out) {
  // 7081929ab257: a source already deleted (refs 0; the caller held it open) is refused. Before it the
  // snapshot copied refs 0 and create_pending_snapshot aborted the transaction.
  if (fs_info.fixes.has("7081929ab257") && src.root_item.refs == 0) return -ENOENT;
  btrfs_pending_snapshot pending{src.objectid, parent_root, name, readonly};
  btrfs_trans_handle trans = btrfs_start_transaction(fs_info);
  trans.pending_snapshot = &pending;
  int ret = btrfs_commit_transaction(trans);
  if (pending.error) ret = pending.error;
  if (!ret && objectid_out) *objectid_out = pending.objectid;
  return ret;
}

}  // namespace

uint64_t btrfs_find_free_root_objectid(btrfs_fs_info& fs_info) {
  return std::max<uint64_t>(fs_info.highest_root_objectid, BTRFS_FIRST_FREE_OBJECTID - 1) + 1;
}

void create_pending_snapshot(btrfs_trans_handle& trans, btrfs_pending_snapshot& pending) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  btrfs_root* src = fs_info.get_fs_root(pending.source);
  btrfs_root* parent = fs_info.get_fs_root(pending.parent);
  if (!src || !parent) {
    pending.error = -ENOENT;
    return;
  }
  const uint64_t objectid = btrfs_find_free_root_objectid(fs_info);
  sched::point(sched::L("create_pending_snapshot(source {}, objectid {})", pending.source, objectid));
  // The name was checked under the parent directory's lock; the kernel checks again here.
  if (btrfs_dir_name_exists(fs_info, *parent, pending.name)) {
    pending.error = -EEXIST;
    return;
  }
  fs_info.highest_root_objectid = objectid;

  // record_root_in_trans + btrfs_set_root_last_snapshot: blocks up to this transid may be shared.
  src->root_item.last_snapshot = trans.transid;
  src->dirty = true;
  src->last_trans = trans.transid;
  // btrfs_lock_root_node, btrfs_cow_block of the root node, btrfs_copy_root: the snapshot's root is a
  // copy of the source's and shares every block below it, those of this transaction too. No other
  // handle is open (the commit's critical section), so no writer is half-way through a change.
  src->lock.down_write();
  btrfs_cow_root_node(trans, *src);
  const uint64_t nb = btrfs_copy_root(trans, *src, objectid);
  src->lock.up_write();
  // Later changes of the source in this transaction COW the blocks it now shares (should_cow_block).
  src->force_cow = true;
  auto snap = std::make_shared<btrfs_root>();
  snap->objectid = objectid;
  // memcpy(new_root_item, &root->root_item): refs and flags (BTRFS_ROOT_SUBVOL_DEAD too) are the source's.
  snap->root_item = src->root_item;
  if (pending.readonly) snap->root_item.flags |= BTRFS_ROOT_SUBVOL_RDONLY;
  else snap->root_item.flags &= ~BTRFS_ROOT_SUBVOL_RDONLY;
  snap->root_item.bytenr = nb;
  snap->root_item.level = src->level;
  snap->root_item.generation = trans.transid;
  snap->node = snap->commit_root = nb;
  snap->level = snap->commit_root_level = src->level;
  snap->commit_root_gen = trans.transid;
  snap->last_trans = trans.transid;
  snap->ref_cows = true;
  snap->dirty = true;  // its root item is inserted by the commit (update_root_items)
  fs_info.roots[objectid] = snap;

  btrfs_root_send_info& info = fs_info.root_send_info[objectid];
  info.parent_uuid = pending.source;
  info.ctransid = trans.transid;
  info.name = std::string(pending.name);
  snapshot_init_data_state(fs_info, pending.source, objectid);

  // btrfs_get_new_fs_root (after btrfs_insert_root and the root refs, before the dir entry) finds no live
  // root when the copied refs are 0 (a deleted source, 7081929ab257 off): -ENOENT, the transaction aborts.
  if (snap->root_item.refs == 0) btrfs_abort_transaction(trans, -ENOENT);
  int ret = btrfs_link_subvol(trans, *parent, objectid, pending.name);
  if (ret) {
    // The kernel aborts the transaction here; the model reports the error and keeps the root.
    fs_info.log(fmt::format("BTRFS: Transaction aborted (error {}) in create_pending_snapshot", ret));
    pending.error = ret;
    return;
  }
  pending.objectid = objectid;
}

int btrfs_ioctl_snap_create(btrfs_fs_info& fs_info, uint64_t source_root, uint64_t parent_root, std::string_view name,
                            bool readonly, uint64_t* objectid_out) {
  if (int r = check_subvol_name(name)) return r;
  btrfs_root* src = fs_info.get_fs_root(source_root);
  btrfs_root* parent = fs_info.get_fs_root(parent_root);
  if (!src || !parent) return -ENOENT;
  sched::point(sched::L("btrfs_ioctl_snap_create(source {}, parent {})", source_root, parent_root));
  // btrfs_mksnapshot: the source's snapshot_lock for reading (nocow buffered writes that reserved no
  // data space are waited for, new ones must reserve), the flush, then snapshot_force_cow.
  btrfs_root_data& src_data = btrfs_root_data_of(fs_info, source_root);
  btrfs_drew_read_lock(src_data.snapshot_lock);
  int ret = 0;
  {
    sched::WriteGuard dir_lock(mksubvol_dir_sem(fs_info, parent_root));
    if (btrfs_dir_name_exists(fs_info, *parent, name)) {
      ret = -EEXIST;
    } else {
      // btrfs_start_delalloc_snapshot + btrfs_wait_ordered_extents: what was written before the
      // snapshot ioctl is in the snapshot. "All previous writes have started writeback in NOCOW mode,
      // so now we force future writes to fallback to COW mode during snapshot creation."
      btrfs_start_delalloc_inodes(fs_info, source_root, ~0ull);
      src_data.snapshot_force_cow++;
      btrfs_wait_ordered_extents(fs_info, source_root, ~0ull, 0, ~0ull);
      // btrfs_mksubvol: subvol_sem for reading across create_snapshot (subvolume deletion writes it).
      fs_info.subvol_sem.down_read();
      // A destination directory in a deleted subvolume: the kernel returns 0 here without a snapshot.
      if (parent->root_item.refs != 0) ret = create_snapshot(fs_info, *src, parent_root, name, readonly, objectid_out);
      fs_info.subvol_sem.up_read();
      src_data.snapshot_force_cow--;
    }
  }
  btrfs_drew_read_unlock(src_data.snapshot_lock);
  return ret;
}

int btrfs_ioctl_subvol_create(btrfs_fs_info& fs_info, uint64_t parent_root, std::string_view name,
                              uint64_t* objectid_out) {
  if (int r = check_subvol_name(name)) return r;
  btrfs_root* parent = fs_info.get_fs_root(parent_root);
  if (!parent) return -ENOENT;
  sched::point(sched::L("btrfs_ioctl_subvol_create(parent {})", parent_root));
  sched::WriteGuard dir_lock(mksubvol_dir_sem(fs_info, parent_root));
  if (btrfs_dir_name_exists(fs_info, *parent, name)) return -EEXIST;
  // btrfs_mksubvol: subvol_sem for reading; in a deleted subvolume the kernel returns 0 and creates nothing.
  fs_info.subvol_sem.down_read();
  if (parent->root_item.refs == 0) {
    fs_info.subvol_sem.up_read();
    return 0;
  }
  int ret = create_subvol(fs_info, *parent, name, objectid_out);
  fs_info.subvol_sem.up_read();
  return ret;
}

}  // namespace fsrace::model
