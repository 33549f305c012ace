// The data-path view of a new snapshot: its top directory's names and its in-memory inodes, built
// from the snapshot's tree (what btrfs_lookup / btrfs_iget would read), so a writable snapshot can
// be written like any subvolume. The data oracle does not follow snapshots: writes into snapshot
// files are not checked against it.
#include "model/data/dir_index.hpp"
#include "model/data/inode.hpp"
#include "model/data/subvol_inodes.hpp"
#include "model/fs_info.hpp"
#include "model/maint/snapshot_internal.hpp"

namespace fsrace::model {

void snapshot_init_data_state(btrfs_fs_info& fs_info, uint64_t source, uint64_t snapshot) {
  const btrfs_root_data& src = btrfs_root_data_of(fs_info, source);  // std::map: stays valid below
  btrfs_root_data& rd = btrfs_root_data_of(fs_info, snapshot);
  rd.highest_objectid = src.highest_objectid;
  // Its top directory's inode is read from disk at first use (btrfs_lookup -> btrfs_iget): index_cnt
  // (u64)-1 until loaded from the last DIR_INDEX key the snapshot copied.
  rd.dir_index = BTRFS_INDEX_CNT_UNSET;
  btrfs_load_subvol_inodes(fs_info, snapshot);
}

}  // namespace fsrace::model
