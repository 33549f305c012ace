#include "model/data/delalloc.hpp"

#include <algorithm>

#include "model/data/delalloc_space.hpp"
#include "model/data/inode.hpp"
#include "model/data/writeback.hpp"
#include "model/fs_info.hpp"
#include "scheduler/finding.hpp"

namespace fsrace::model {

uint64_t delalloc_noreserve_bytes(const btrfs_inode& inode, uint64_t start, uint64_t end) {
  uint64_t n = 0;
  const auto& nr = inode.io_tree.noreserve.ranges();
  for (auto it = nr.upper_bound(start) == nr.begin() ? nr.begin() : std::prev(nr.upper_bound(start));
       it != nr.end() && it->first < end; ++it) {
    const uint64_t s = std::max(start, it->first), e = std::min(end, it->second);
    if (s < e) n += inode.io_tree.delalloc.bytes_in(s, e);
  }
  return n;
}

void btrfs_set_extent_delalloc(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end, bool noreserve) {
  auto& d = inode.io_tree.delalloc;
  if (noreserve) inode.io_tree.noreserve.add(start, end);  // extra_bits EXTENT_NORESERVE
  const uint64_t added = (end - start) - d.bytes_in(start, end);
  d.add(start, end);
  inode.delalloc_bytes += added;
  if (inode.delalloc_bytes && !inode.on_delalloc_list) {  // btrfs_add_delalloc_inodes
    auto& rd = btrfs_root_data_of(fs_info, inode.root);
    rd.delalloc_inodes.push_back(inode.ino);
    inode.on_delalloc_list = true;
    if (rd.nr_delalloc_inodes++ == 0) fs_info.delalloc_roots.push_back(inode.root);
  }
}

void btrfs_clear_extent_delalloc(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end,
                                 bool clear_data_resv) {
  auto& d = inode.io_tree.delalloc;
  const uint64_t removed = d.bytes_in(start, end);
  // btrfs_clear_delalloc_extent, per extent state: EXTENT_CLEAR_DATA_RESV gives back the reservation of
  // delalloc bytes that had one (not EXTENT_NORESERVE). Clearing EXTENT_DELALLOC clears EXTENT_NORESERVE.
  const uint64_t reserved = removed - delalloc_noreserve_bytes(inode, start, end);
  d.remove(start, end);
  inode.io_tree.noreserve.remove(start, end);
  if (clear_data_resv && reserved) btrfs_free_reserved_data_space_noquota(fs_info, reserved);
  FSRACE_MODEL_CHECK(removed <= inode.delalloc_bytes, "ino {}: delalloc_bytes {} < {} cleared", inode.ino,
                inode.delalloc_bytes, removed);
  inode.delalloc_bytes -= removed;
  if (inode.delalloc_bytes == 0 && inode.on_delalloc_list) {  // btrfs_del_delalloc_inode
    auto& rd = btrfs_root_data_of(fs_info, inode.root);
    rd.delalloc_inodes.erase(std::find(rd.delalloc_inodes.begin(), rd.delalloc_inodes.end(), inode.ino));
    inode.on_delalloc_list = false;
    if (--rd.nr_delalloc_inodes == 0)
      fs_info.delalloc_roots.erase(std::find(fs_info.delalloc_roots.begin(), fs_info.delalloc_roots.end(), inode.root));
  }
}

uint64_t btrfs_start_delalloc_inodes(btrfs_fs_info& fs_info, uint64_t root, uint64_t nr) {
  sched::point(sched::L("btrfs_start_delalloc_inodes(root {})", root));
  // list_splice_init(&root->delalloc_inodes, &splice): inodes dirtied from now on are not flushed.
  const std::vector<uint64_t> splice = btrfs_root_data_of(fs_info, root).delalloc_inodes;
  uint64_t count = 0;
  for (uint64_t ino : splice) {
    if (count == nr) break;
    btrfs_inode* inode = btrfs_iget(fs_info, root, ino);
    FSRACE_MODEL_CHECK(inode, "delalloc inode {} of root {} not cached", ino, root);
    if (!btrfs_igrab(*inode)) continue;  // being evicted: its delalloc is dropped
    // btrfs_run_delalloc_work: filemap_flush (WB_SYNC_NONE) of the whole file.
    extent_writepages(fs_info, *inode, 0, ~0ull, wb_sync_mode::none);
    btrfs_iput(fs_info, *inode);
    count++;
  }
  return count;
}

uint64_t btrfs_start_delalloc_roots(btrfs_fs_info& fs_info, uint64_t nr) {
  fs_info.delalloc_root_mutex.lock();
  const std::vector<uint64_t> splice = fs_info.delalloc_roots;
  uint64_t total = 0;
  for (uint64_t root : splice) {
    if (total >= nr) break;
    total += btrfs_start_delalloc_inodes(fs_info, root, nr == ~0ull ? nr : nr - total);
  }
  fs_info.delalloc_root_mutex.unlock();
  return total;
}

}  // namespace fsrace::model
