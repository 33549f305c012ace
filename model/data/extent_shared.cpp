#include "model/data/extent_shared.hpp"

#include <set>

#include "model/ctree.hpp"
#include "model/data/btrfs_inode.hpp"
#include "model/data/file_extent.hpp"
#include "model/delayed_ref.hpp"
#include "model/fs_info.hpp"
#include "model/transaction.hpp"

namespace fsrace::model {

bool data_extent_shared_now(btrfs_fs_info& fs_info, btrfs_transaction* cur_trans, const btrfs_inode& inode,
                            uint64_t bytenr, uint64_t extent_gen) {
  btrfs_root* root = fs_info.get_fs_root(inode.root);
  if (!root) return false;
  // Direct references: the kernel merges identical (root, inode, offset) refs into one prelim ref and
  // calls the extent shared once two distinct ones have a count above 0 (share_check).
  std::set<uint64_t> ref_offsets;
  uint64_t ours = 0;
  for (const file_extent& fe : btrfs_lookup_file_extents(fs_info, *root, inode.ino, 0, ~0ull)) {
    if (fe.fi.disk_bytenr != bytenr) continue;
    ref_offsets.insert(fe.ref_offset());
    ours++;
  }
  if (ref_offsets.size() > 1) return true;
  if (btrfs_lookup_extent_refs(fs_info, cur_trans, bytenr, true) > ours) return true;
  // "If our data extent is not shared through reflinks and it was created in a generation after the
  // last one used to create a snapshot of the inode's root, then it can not be shared indirectly".
  if (extent_gen > root->root_item.last_snapshot) return false;
  for (const file_extent& fe : btrfs_lookup_file_extents(fs_info, *root, inode.ino, 0, ~0ull)) {
    if (fe.fi.disk_bytenr != bytenr) continue;
    btrfs_path path;
    if (btrfs_search_slot(fs_info, *root, {inode.ino, BTRFS_EXTENT_DATA_KEY, fe.key_offset}, path) != 0) continue;
    for (int level = 0; level <= root->level; level++)
      if (path.nodes[level] && btrfs_lookup_extent_refs(fs_info, cur_trans, path.nodes[level], false) > 1) return true;
  }
  return false;
}

int btrfs_is_data_extent_shared(btrfs_fs_info& fs_info, const btrfs_inode& inode, uint64_t bytenr,
                                uint64_t extent_gen) {
  btrfs_trans_handle trans;
  const bool joined = btrfs_join_transaction_nostart(fs_info, &trans) == 0;
  if (!joined) fs_info.commit_root_sem.down_read();
  const bool shared = data_extent_shared_now(fs_info, joined ? trans.transaction.get() : nullptr, inode, bytenr,
                                             extent_gen);
  if (joined)
    btrfs_end_transaction(trans);
  else
    fs_info.commit_root_sem.up_read();
  return shared ? 1 : 0;
}

}  // namespace fsrace::model
