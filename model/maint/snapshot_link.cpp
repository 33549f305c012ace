// Naming a new subvolume: ROOT_REF / ROOT_BACKREF in the root tree and the entry in the parent's
// top directory (root-tree.c btrfs_add_root_ref, dir-item.c btrfs_insert_dir_item).
#include <cerrno>

#include "model/data/csum.hpp"
#include "model/data/dir_index.hpp"
#include "model/data/inode.hpp"
#include "model/fs_info.hpp"
#include "model/maint/snapshot_internal.hpp"
#include "model/transaction.hpp"

namespace fsrace::model {

uint64_t btrfs_name_hash(std::string_view name) {
  return crc32c(~1u, {reinterpret_cast<const uint8_t*>(name.data()), name.size()});
}

int check_subvol_name(std::string_view name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos) return -EINVAL;
  if (name.size() > BTRFS_NAME_LEN) return -ENAMETOOLONG;
  return 0;
}

bool btrfs_dir_name_exists(btrfs_fs_info& fs_info, btrfs_root& root, std::string_view name) {
  return btrfs_lookup_item(fs_info, root, {BTRFS_FIRST_FREE_OBJECTID, BTRFS_DIR_ITEM_KEY, btrfs_name_hash(name)},
                           nullptr) == 0;
}

int btrfs_link_subvol(btrfs_trans_handle& trans, btrfs_root& parent, uint64_t objectid, std::string_view name) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  const std::string sname(name);
  // The DIR_INDEX sequence of the parent's top directory is shared with file creation.
  uint64_t index = 0;
  int ret = btrfs_set_inode_index(fs_info, parent.objectid, &index);
  if (ret) return ret;
  btrfs_root_ref ref{BTRFS_FIRST_FREE_OBJECTID, index, sname};
  ret = btrfs_insert_item(trans, fs_info.tree_root(), {parent.objectid, BTRFS_ROOT_REF_KEY, objectid}, ref);
  if (ret) return ret;
  ret = btrfs_insert_item(trans, fs_info.tree_root(), {objectid, BTRFS_ROOT_BACKREF_KEY, parent.objectid}, ref);
  if (ret) return ret;
  btrfs_dir_item di;
  di.location = {objectid, BTRFS_ROOT_ITEM_KEY, ~0ull};
  di.transid = trans.transid;
  di.type = BTRFS_FT_DIR;
  di.name = sname;
  ret = btrfs_insert_item(trans, parent, {BTRFS_FIRST_FREE_OBJECTID, BTRFS_DIR_ITEM_KEY, btrfs_name_hash(name)}, di);
  if (ret) return ret;
  ret = btrfs_insert_item(trans, parent, {BTRFS_FIRST_FREE_OBJECTID, BTRFS_DIR_INDEX_KEY, index}, di);
  if (ret) return ret;
  // btrfs_i_size_write(dir, i_size + name_len * 2) and btrfs_update_inode.
  item_value v;
  const btrfs_key dir_key{BTRFS_FIRST_FREE_OBJECTID, BTRFS_INODE_ITEM_KEY, 0};
  if (btrfs_lookup_item(fs_info, parent, dir_key, &v) == 0) {
    auto dir = std::get<btrfs_inode_item>(v);
    dir.size += 2 * name.size();
    dir.transid = trans.transid;
    ret = btrfs_update_item(trans, parent, dir_key, dir);
  }
  return ret;
}

}  // namespace fsrace::model
