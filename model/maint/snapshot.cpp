// Snapshot and subvolume creation (ioctl.c create_snapshot / create_subvol, transaction.c
// create_pending_snapshot).
#include "model/maint/snapshot.hpp"

#include <cerrno>

#include <fmt/format.h>

#include "model/data/delalloc.hpp"
#include "model/data/ordered_data.hpp"
#include "model/fs_info.hpp"
#include "model/maint/snapshot_internal.hpp"
#include "model/transaction.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

// The references a new copy of a block takes on what it points to (btrfs_inc_ref for `owner`).
void inc_child_refs(btrfs_trans_handle& trans, uint64_t owner, const tree_block& b) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  if (!b.is_leaf()) {
    for (const auto& p : b.ptrs)
      btrfs_add_delayed_tree_ref(trans, p.blockptr, fs_info.nodesize, b.header.level - 1, owner, +1, false);
    return;
  }
  for (const auto& it : b.items) {
    if (it.key.type != BTRFS_EXTENT_DATA_KEY) continue;
    const auto& fe = std::get<btrfs_file_extent_item>(it.value);
    if (fe.type == BTRFS_FILE_EXTENT_INLINE || fe.disk_bytenr == 0) continue;
    btrfs_add_delayed_data_ref(trans, fe.disk_bytenr, fe.disk_num_bytes, owner, it.key.objectid,
                               it.key.offset - fe.offset, +1, false);
  }
}

tree_block_ptr cached_block(btrfs_fs_info& fs_info, uint64_t bytenr) {
  const tree_block_ptr* p = fs_info.buffer_radix.find(bytenr);
  FSRACE_ASSERT(p && *p, "snapshot: tree block {} of the running transaction is not cached", bytenr);
  return *p;
}

// Copies the block `bytenr` (written in the running transaction) for the snapshot `owner`, and
// every descendant written in the running transaction too; older descendants are shared.
uint64_t copy_block_for_snapshot(btrfs_trans_handle& trans, uint64_t owner, uint64_t bytenr);

// The kernel creates snapshots inside the commit, after the last writer of the transaction left,
// and COWs the source's blocks again afterwards (BTRFS_ROOT_FORCE_COW / BTRFS_HEADER_FLAG_WRITTEN):
// blocks the running transaction wrote are never shared in place. The model creates the snapshot
// while other handles may still write, so it gives the snapshot its own copies of those blocks
// instead: the snapshot sees the source exactly as of the copy, and later in-place changes of the
// source's new blocks stay private to the source.
void unshare_running_transaction_blocks(btrfs_trans_handle& trans, uint64_t owner, uint64_t node_bytenr) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  tree_block_ptr node = cached_block(fs_info, node_bytenr);
  if (node->is_leaf()) return;
  std::shared_ptr<tree_block> copy;
  for (size_t i = 0; i < node->ptrs.size(); ++i) {
    const btrfs_key_ptr& p = node->ptrs[i];
    if (p.generation != trans.transid) continue;
    if (!copy) copy = std::make_shared<tree_block>(*node);
    // btrfs_copy_root took a reference on the shared child: the snapshot gets a copy instead.
    btrfs_add_delayed_tree_ref(trans, p.blockptr, fs_info.nodesize, node->header.level - 1, owner, -1, false);
    copy->ptrs[i].blockptr = copy_block_for_snapshot(trans, owner, p.blockptr);
  }
  if (copy) fs_info.buffer_radix.put(node_bytenr, copy);
}

uint64_t copy_block_for_snapshot(btrfs_trans_handle& trans, uint64_t owner, uint64_t bytenr) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  tree_block_ptr old = cached_block(fs_info, bytenr);
  btrfs_root tmp;
  tmp.objectid = owner;
  const uint64_t nb = btrfs_alloc_tree_block(trans, tmp, old->header.level);
  auto copy = std::make_shared<tree_block>(*old);
  copy->header = {nb, trans.transid, owner, old->header.level, 0};
  if (copy->is_leaf()) {
    inc_child_refs(trans, owner, *copy);
  } else {
    for (auto& p : copy->ptrs) {
      if (p.generation == trans.transid) p.blockptr = copy_block_for_snapshot(trans, owner, p.blockptr);
      else btrfs_add_delayed_tree_ref(trans, p.blockptr, fs_info.nodesize, copy->header.level - 1, owner, +1, false);
    }
  }
  fs_info.buffer_radix.put(nb, std::move(copy));
  return nb;
}

// Serialises subvolume creation like the parent directory's i_rwsem (btrfs_mksubvol) does.
sched::Mutex& subvol_mutex(btrfs_fs_info& fs_info) { return fs_info.subvol_dir_mutex; }

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
  fs_info.highest_root_objectid = objectid;

  // btrfs_lock_root_node: no writer of the source is half-way through a change while we copy.
  src->lock.down_write();
  // record_root_in_trans + btrfs_set_root_last_snapshot: blocks up to this transid may be shared.
  src->root_item.last_snapshot = trans.transid;
  src->dirty = true;
  src->last_trans = trans.transid;
  const uint64_t nb = btrfs_copy_root(trans, *src, objectid);
  unshare_running_transaction_blocks(trans, objectid, nb);
  auto snap = std::make_shared<btrfs_root>();
  snap->objectid = objectid;
  snap->root_item = src->root_item;  // memcpy(new_root_item, &root->root_item)
  if (pending.readonly) snap->root_item.flags |= BTRFS_ROOT_SUBVOL_RDONLY;
  else snap->root_item.flags &= ~BTRFS_ROOT_SUBVOL_RDONLY;
  snap->root_item.refs = 1;
  snap->root_item.bytenr = nb;
  snap->root_item.level = src->level;
  snap->root_item.generation = trans.transid;
  snap->node = snap->commit_root = nb;
  snap->level = snap->commit_root_level = src->level;
  snap->commit_root_gen = trans.transid;
  snap->last_trans = trans.transid;
  snap->ref_cows = true;
  snap->dirty = true;  // its root item is inserted by the commit (update_root_items)
  src->lock.up_write();
  fs_info.roots[objectid] = snap;

  btrfs_root_send_info& info = fs_info.root_send_info[objectid];
  info.parent_uuid = pending.source;
  info.ctransid = trans.transid;
  info.name = std::string(pending.name);
  snapshot_init_data_state(fs_info, pending.source, objectid);

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
  sched::LockGuard guard(subvol_mutex(fs_info));
  if (btrfs_dir_name_exists(fs_info, *parent, name)) return -EEXIST;
  // btrfs_start_delalloc_snapshot + btrfs_wait_ordered_extents: what was written before the
  // snapshot ioctl is in the snapshot.
  btrfs_start_delalloc_inodes(fs_info, source_root, ~0ull);
  btrfs_wait_ordered_extents(fs_info, source_root, ~0ull, 0, ~0ull);
  btrfs_trans_handle trans = btrfs_start_transaction(fs_info);
  btrfs_pending_snapshot pending{source_root, parent_root, name, readonly};
  create_pending_snapshot(trans, pending);
  int ret = btrfs_commit_transaction(trans);
  if (pending.error) return pending.error;
  if (ret) return ret;
  if (objectid_out) *objectid_out = pending.objectid;
  return 0;
}

int btrfs_ioctl_subvol_create(btrfs_fs_info& fs_info, uint64_t parent_root, std::string_view name,
                              uint64_t* objectid_out) {
  if (int r = check_subvol_name(name)) return r;
  btrfs_root* parent = fs_info.get_fs_root(parent_root);
  if (!parent) return -ENOENT;
  sched::point(sched::L("btrfs_ioctl_subvol_create(parent {})", parent_root));
  sched::LockGuard guard(subvol_mutex(fs_info));
  if (btrfs_dir_name_exists(fs_info, *parent, name)) return -EEXIST;
  btrfs_trans_handle trans = btrfs_start_transaction(fs_info);
  const uint64_t objectid = btrfs_find_free_root_objectid(fs_info);
  fs_info.highest_root_objectid = objectid;
  // create_subvol: an empty tree whose top directory is inode 256.
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
  if (!ret) ret = btrfs_link_subvol(trans, *parent, objectid, name);
  int cret = btrfs_commit_transaction(trans);
  if (ret) return ret;
  if (cret) return cret;
  if (objectid_out) *objectid_out = objectid;
  return 0;
}

}  // namespace fsrace::model
