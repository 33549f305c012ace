// Subvolume deletion, the ioctl part (ioctl.c btrfs_ioctl_snap_destroy, inode.c btrfs_delete_subvolume).
#include "model/maint/subvol_delete.hpp"

#include <cerrno>

#include <fmt/format.h>

#include "model/data/inode.hpp"
#include "model/fs_info.hpp"
#include "model/maint/snapshot_internal.hpp"
#include "model/transaction.hpp"
#include "model/transaction_abort.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

// may_destroy_subvol: the default subvolume (the model's is always FS_TREE, which has no entry to delete)
// and a subvolume holding other subvolumes (a ROOT_REF keyed by it) cannot be deleted.
int may_destroy_subvol(btrfs_fs_info& fs_info, uint64_t dest) {
  bool has_child = false;
  btrfs_for_each_item(fs_info, fs_info.tree_root(), {dest, BTRFS_ROOT_REF_KEY, 0}, [&](const btrfs_item& it) {
    has_child = it.key.objectid == dest && it.key.type == BTRFS_ROOT_REF_KEY;
    return false;
  });
  return has_child ? -ENOTEMPTY : 0;
}

// btrfs_unlink_subvol: the DIR_ITEM, ROOT_REF / ROOT_BACKREF (btrfs_del_root_ref, which gives the
// index), the DIR_INDEX and the directory's i_size. Each failure aborts the transaction, as the kernel.
void btrfs_unlink_subvol(btrfs_trans_handle& trans, btrfs_root& parent, uint64_t dest, std::string_view name) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  int ret = btrfs_delete_item(trans, parent, {BTRFS_FIRST_FREE_OBJECTID, BTRFS_DIR_ITEM_KEY, btrfs_name_hash(name)});
  if (ret) btrfs_abort_transaction(trans, ret);
  item_value v;
  ret = btrfs_lookup_item(fs_info, fs_info.tree_root(), {parent.objectid, BTRFS_ROOT_REF_KEY, dest}, &v);
  if (ret) btrfs_abort_transaction(trans, -ENOENT);
  const uint64_t index = std::get<btrfs_root_ref>(v).sequence;
  ret = btrfs_delete_item(trans, fs_info.tree_root(), {parent.objectid, BTRFS_ROOT_REF_KEY, dest});
  if (!ret) ret = btrfs_delete_item(trans, fs_info.tree_root(), {dest, BTRFS_ROOT_BACKREF_KEY, parent.objectid});
  if (ret) btrfs_abort_transaction(trans, ret);
  ret = btrfs_delete_item(trans, parent, {BTRFS_FIRST_FREE_OBJECTID, BTRFS_DIR_INDEX_KEY, index});
  if (ret) btrfs_abort_transaction(trans, ret);
  // btrfs_i_size_write(dir, i_size - name_len * 2) and btrfs_update_inode_fallback.
  const btrfs_key dir_key{BTRFS_FIRST_FREE_OBJECTID, BTRFS_INODE_ITEM_KEY, 0};
  if (btrfs_lookup_item(fs_info, parent, dir_key, &v) == 0) {
    auto dir = std::get<btrfs_inode_item>(v);
    dir.size -= 2 * name.size();
    dir.transid = trans.transid;
    ret = btrfs_update_item(trans, parent, dir_key, dir);
    if (ret) btrfs_abort_transaction(trans, ret);
  }
}

}  // namespace

int btrfs_delete_subvolume(btrfs_fs_info& fs_info, uint64_t parent_root, uint64_t dest_id, std::string_view name) {
  btrfs_root* parent = fs_info.get_fs_root(parent_root);
  btrfs_root* dest = fs_info.get_fs_root(dest_id);
  if (!parent || !dest) return -ENOENT;
  // 3324d0547861: subvol_sem first, so that a snapshot (which reads it) sees the flag and refs 0 together.
  // Before it the flag was set before subvol_sem was taken, and a snapshot holding subvol_sem for reading
  // could copy a root item with BTRFS_ROOT_SUBVOL_DEAD set.
  const bool sem_first = fs_info.fixes.has("3324d0547861");
  if (sem_first) fs_info.subvol_sem.down_write();
  btrfs_root_send_info& info = fs_info.root_send_info[dest_id];
  // Under root_item_lock (no scheduling point inside): no deletion of a root a send uses.
  if (info.send_in_progress) {
    fs_info.log(fmt::format("BTRFS warning: attempt to delete subvolume {} during send", dest_id));
    if (sem_first) fs_info.subvol_sem.up_write();
    return -EPERM;
  }
  dest->root_item.flags |= BTRFS_ROOT_SUBVOL_DEAD;
  if (!sem_first) fs_info.subvol_sem.down_write();

  int ret = may_destroy_subvol(fs_info, dest_id);
  if (!ret) {
    btrfs_trans_handle trans = btrfs_start_transaction(fs_info);
    btrfs_unlink_subvol(trans, *parent, dest_id, name);
    // btrfs_record_root_in_trans(dest): its root item (refs 0, the flag) is written by the commit.
    dest->dirty = true;
    dest->last_trans = trans.transid;
    dest->root_item.refs = 0;  // drop_progress and drop_level are reset too (not modelled)
    if (!info.orphan_item_inserted) {
      info.orphan_item_inserted = true;
      ret = btrfs_insert_item(trans, fs_info.tree_root(), {BTRFS_ORPHAN_OBJECTID, BTRFS_ORPHAN_ITEM_KEY, dest_id},
                              btrfs_opaque_item{});
      if (ret) btrfs_abort_transaction(trans, ret);
    }
    // btrfs_uuid_tree_remove: the model has no uuid tree.
    ret = btrfs_end_transaction(trans);
  }
  // out_undead / out_up_write: the fix clears the flag of a failed deletion before releasing subvol_sem,
  // the code before it after.
  if (sem_first && ret) dest->root_item.flags &= ~BTRFS_ROOT_SUBVOL_DEAD;
  fs_info.subvol_sem.up_write();
  if (!sem_first && ret) dest->root_item.flags &= ~BTRFS_ROOT_SUBVOL_DEAD;
  if (!ret) FSRACE_ASSERT(info.send_in_progress == 0, "btrfs_delete_subvolume: send of root {} in progress", dest_id);
  return ret;
}

int btrfs_ioctl_snap_destroy(btrfs_fs_info& fs_info, uint64_t parent_root, std::string_view name) {
  if (int r = check_subvol_name(name)) return r;
  btrfs_root* parent = fs_info.get_fs_root(parent_root);
  if (!parent) return -ENOENT;
  sched::point(sched::L("btrfs_ioctl_snap_destroy(dir {})", parent_root));
  sched::WriteGuard dir_lock(btrfs_root_data_of(fs_info, parent_root).dir_i_rwsem);
  // lookup_one: the entry's DIR_ITEM; d_really_is_negative is -ENOENT.
  item_value v;
  if (btrfs_lookup_item(fs_info, *parent, {BTRFS_FIRST_FREE_OBJECTID, BTRFS_DIR_ITEM_KEY, btrfs_name_hash(name)}, &v))
    return -ENOENT;
  const auto& di = std::get<btrfs_dir_item>(v);
  if (di.name != name) return -ENOENT;
  if (di.type != BTRFS_FT_DIR) return -ENOTDIR;  // btrfs_may_delete(isdir)
  // A directory that is not a subvolume's top directory (inode 256 of its root), or the placeholder
  // (BTRFS_EMPTY_SUBVOL_DIR_OBJECTID) of an entry without ROOT_REF: -EINVAL.
  if (di.location.type != BTRFS_ROOT_ITEM_KEY) return -EINVAL;
  const uint64_t dest = di.location.objectid;
  if (btrfs_lookup_item(fs_info, fs_info.tree_root(), {parent_root, BTRFS_ROOT_REF_KEY, dest}, &v) ||
      std::get<btrfs_root_ref>(v).name != name || !fs_info.get_fs_root(dest))
    return -EINVAL;
  // btrfs_inode_lock of the subvolume's top directory.
  sched::WriteGuard dest_lock(btrfs_root_data_of(fs_info, dest).dir_i_rwsem);
  return btrfs_delete_subvolume(fs_info, parent_root, dest, name);
}

}  // namespace fsrace::model
