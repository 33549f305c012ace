// full_send_tree (send.c): every item of the send root's commit root, in key order, as new.
#include <cerrno>

#include "model/fs_info.hpp"
#include "model/maint/send_ctx.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {

int full_send_tree(send_ctx& sctx) {
  btrfs_fs_info& fs_info = sctx.fs_info;
  btrfs_root& root = sctx.send_root;
  send_path sp;
  btrfs_key key{BTRFS_FIRST_FREE_OBJECTID, BTRFS_INODE_ITEM_KEY, 0};
  if (sctx.cloned_buffers) {
    fs_info.commit_root_sem.down_read();
    sctx.last_reloc_trans = fs_info.last_reloc_trans;
    fs_info.commit_root_sem.up_read();
  }
  int ret = send_search_for_read(sctx, root, key, sp);
  while (ret == 0) {  // bounded by the tree's items (the step limit guards a tree changing under us)
    btrfs_item item;
    if ((ret = send_path_item(sctx, sp, &item))) return ret;
    key = item.key;
    if ((ret = changed_cb(sctx, &item, nullptr, key, BTRFS_COMPARE_TREE_NEW))) return ret;
    if (sctx.cloned_buffers) {
      // d96b34248c2f: a relocation committed since we read this leaf: search our key again in the
      // new commit root before moving on.
      fs_info.commit_root_sem.down_read();
      const bool relocated = fs_info.last_reloc_trans > sctx.last_reloc_trans;
      if (relocated) {
        sctx.last_reloc_trans = fs_info.last_reloc_trans;
        ret = search_key_again(sctx, root, sp, key, 0);
        if (ret == 0) sp.clones[0] = send_path_block(sctx, sp, 0);
      }
      fs_info.commit_root_sem.up_read();
      if (ret) return ret;
    }
    ret = send_next_item(sctx, root, sp);
  }
  return ret < 0 ? ret : 0;
}

}  // namespace fsrace::model
