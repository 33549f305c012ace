#include "model/data/dir_index.hpp"

#include <cerrno>

#include "model/ctree.hpp"
#include "model/data/inode.hpp"
#include "model/fs_info.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

// btrfs_inode_delayed_dir_index_count is not modelled: the model has no delayed nodes, its DIR_INDEX
// items go into the tree at once, so the search below sees every index a delayed node would count
// (README departures: delayed dir index items).

// btrfs_set_inode_index_count: index_cnt from the highest DIR_INDEX key of the directory, the search
// for (dir, DIR_INDEX, (u64)-1) stepping back one slot.
int btrfs_set_inode_index_count(btrfs_fs_info& fs_info, uint64_t root_objectid, btrfs_root_data& rd) {
  btrfs_root* root = fs_info.get_fs_root(root_objectid);
  if (!root) return -ENOENT;
  // btrfs_search_slot read-locks the blocks of the path (it may wait for a writer): a reader of the
  // current root takes the model's tree lock nowhere, so the wait is this point. The leaf is read and
  // index_cnt stored under the leaf's read lock, with no point in between.
  sched::point(sched::L("btrfs_set_inode_index_count: btrfs_search_slot(root {} dir {} DIR_INDEX (u64)-1)",
                        root_objectid, BTRFS_TOP_DIR_INO));
  const btrfs_key key{BTRFS_TOP_DIR_INO, BTRFS_DIR_INDEX_KEY, ~0ull};
  btrfs_path path;
  int ret = btrfs_search_slot(fs_info, *root, key, path);
  if (ret < 0) return ret;
  if (ret == 0) return 0;  // the kernel's "FIXME: we should be able to handle this": index_cnt unchanged
  if (path.slots[0] == 0) {
    rd.dir_index = BTRFS_DIR_START_INDEX;
    return 0;
  }
  path.slots[0]--;
  const btrfs_key& found = btrfs_path_item(fs_info, path).key;
  if (found.objectid != BTRFS_TOP_DIR_INO || found.type != BTRFS_DIR_INDEX_KEY) {
    rd.dir_index = BTRFS_DIR_START_INDEX;
    return 0;
  }
  rd.dir_index = found.offset + 1;
  return 0;
}

// The kernel's `if (index_cnt == (u64)-1) { delayed count, else set_inode_index_count }`.
int load_index_cnt(btrfs_fs_info& fs_info, uint64_t root, btrfs_root_data& rd) {
  if (rd.dir_index != BTRFS_INDEX_CNT_UNSET) return 0;
  return btrfs_set_inode_index_count(fs_info, root, rd);
}

}  // namespace

int btrfs_set_inode_index(btrfs_fs_info& fs_info, uint64_t root, uint64_t* index) {
  btrfs_root_data& rd = btrfs_root_data_of(fs_info, root);
  const int ret = load_index_cnt(fs_info, root, rd);
  if (ret) return ret;
  *index = rd.dir_index++;
  return 0;
}

int btrfs_opendir(btrfs_fs_info& fs_info, uint64_t root, uint64_t* last_index) {
  if (!fs_info.get_fs_root(root)) return -ENOENT;
  btrfs_root_data& rd = btrfs_root_data_of(fs_info, root);
  // btrfs_get_dir_last_index. 8e7f82deb0c0: btrfs_inode_lock(dir, 0), the directory's i_rwsem for
  // writing, around the load and the read, so that no create loads and moves index_cnt meanwhile.
  const bool locked = fs_info.fixes.has("8e7f82deb0c0");
  if (locked) rd.dir_i_rwsem.down_write();
  const int ret = load_index_cnt(fs_info, root, rd);
  if (!ret) *last_index = rd.dir_index - 1;  // index_cnt is the index of the next new entry
  if (locked) rd.dir_i_rwsem.up_write();
  // btrfs_opendir then allocates its btrfs_file_private (last_index, filldir_buf): no shared state.
  return ret;
}

void btrfs_evict_dir_inode(btrfs_fs_info& fs_info, uint64_t root) {
  btrfs_root_data& rd = btrfs_root_data_of(fs_info, root);
  FSRACE_MODEL_CHECK(!rd.dir_i_rwsem.write_locked(), "directory of root {} evicted while locked", root);
  rd.dir_index = BTRFS_INDEX_CNT_UNSET;
}

}  // namespace fsrace::model
