#include "model/data/subvol_inodes.hpp"

#include <map>
#include <memory>

#include "model/data/inode.hpp"
#include "model/fs_info.hpp"

namespace fsrace::model {

void btrfs_load_subvol_inodes(btrfs_fs_info& fs_info, uint64_t root_id) {
  btrfs_root_data& rd = btrfs_root_data_of(fs_info, root_id);
  btrfs_root& root = *fs_info.roots.at(root_id);
  std::map<uint64_t, std::shared_ptr<btrfs_inode>> inodes;
  btrfs_for_each_item(fs_info, root, {BTRFS_FIRST_FREE_OBJECTID, 0, 0}, [&](const btrfs_item& it) {
    if (it.key.type == BTRFS_INODE_ITEM_KEY && it.key.objectid > BTRFS_FIRST_FREE_OBJECTID) {
      const auto& ii = std::get<btrfs_inode_item>(it.value);
      auto inode = std::make_shared<btrfs_inode>();
      inode->root = root_id;
      inode->ino = it.key.objectid;
      inode->set_lock_instances();
      inode->generation = ii.generation;
      inode->flags = ii.flags;
      inode->nlink = ii.nlink;
      inode->i_size = inode->disk_i_size = ii.size;
      inode->nbytes = ii.nbytes;
      inodes[it.key.objectid] = inode;
    } else if (it.key.type == BTRFS_INODE_REF_KEY && it.key.offset == BTRFS_FIRST_FREE_OBJECTID) {
      const auto& ref = std::get<btrfs_inode_ref>(it.value);
      if (auto i = inodes.find(it.key.objectid); i != inodes.end()) {
        i->second->name = ref.name;
        i->second->dir_index = ref.index;
        rd.dcache.mut()[ref.name] = it.key.objectid;
      }
    }
    return true;
  });
  for (auto& [ino, inode] : inodes) {
    inode->address = fs_info.next_inode_address++;
    fs_info.inode_cache[{root_id, ino}] = inode;
  }
}

}  // namespace fsrace::model
