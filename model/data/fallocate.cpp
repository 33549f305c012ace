// btrfs_fallocate / __btrfs_prealloc_file_range (file.c, inode.c).
#include <algorithm>
#include <cerrno>

#include "model/block_group.hpp"
#include "model/data/data_oracle.hpp"
#include "model/data/file.hpp"
#include "model/data/file_extent.hpp"
#include "model/data/inode.hpp"
#include "model/data/ordered_data.hpp"
#include "model/data/page_io.hpp"
#include "model/data/read.hpp"
#include "model/fs_info.hpp"
#include "model/transaction.hpp"
#include "scheduler/finding.hpp"

namespace fsrace::model {
namespace {

constexpr uint64_t kMaxPreallocChunk = 256ull << 20;  // SZ_256M per reservation

// __btrfs_prealloc_file_range: one transaction per reserved extent; the extent gets its PREALLOC file
// extent item and its data reference in the same transaction, so it never needs an ordered extent.
int btrfs_prealloc_file_range(btrfs_fs_info& fs_info, btrfs_inode& inode, bool keep_size, uint64_t start,
                              uint64_t num_bytes, uint64_t size_goal) {
  uint64_t cur = start;
  while (cur < start + num_bytes) {  // each pass reserves at least one sector or fails
    auto trans = btrfs_start_transaction(fs_info);
    btrfs_key_ins ins;
    // 6.1 find_free_extent counts every data reservation in bg->reservations (not only delalloc ones),
    // and __btrfs_prealloc_file_range drops it once the prealloc item is in the tree: "if we did it
    // before, we could race with relocation and have relocation miss the reserved extent".
    int ret = btrfs_reserve_data_extent(fs_info, std::min(start + num_bytes - cur, kMaxPreallocChunk), ins, true);
    if (ret) {
      btrfs_end_transaction(trans);
      return ret;
    }
    sched::point(sched::L("insert_reserved_file_extent(ino {} off {} prealloc)", inode.ino, cur));
    ret = insert_reserved_file_extent(trans, inode, cur, ins.objectid, ins.offset, ins.offset, BTRFS_FILE_EXTENT_PREALLOC);
    btrfs_dec_block_group_reservations(fs_info, ins.objectid);
    if (ret) {
      btrfs_end_transaction(trans);
      return ret;
    }
    cur += ins.offset;
    inode.flags |= BTRFS_INODE_PREALLOC;
    if (!keep_size && std::min(cur, size_goal) > inode.i_size) {
      inode.i_size = std::min(cur, size_goal);
      inode.disk_i_size = inode.i_size;
    }
    ret = btrfs_update_inode(trans, inode);
    btrfs_end_transaction(trans);
    if (ret) return ret;
  }
  return 0;
}

}  // namespace

int btrfs_fallocate(btrfs_fs_info& fs_info, btrfs_inode& inode, bool keep_size, uint64_t offset, uint64_t len,
                    std::string_view origin) {
  if (len == 0) return -EINVAL;
  const uint64_t sector = fs_info.sectorsize;
  const uint64_t alloc_start = offset / sector * sector;
  const uint64_t alloc_end = (offset + len + sector - 1) / sector * sector;
  const uint32_t op = oracle_note_op(fs_info, origin);
  inode.i_rwsem.down_write();
  int ret = btrfs_wait_ordered_range(fs_info, inode, alloc_start, alloc_end - alloc_start);
  // Lock the range with no ordered extent in it.
  for (size_t attempt = 0; !ret && attempt < (1u << 16); attempt++) {
    lock_extent(inode, alloc_start, alloc_end);
    const uint64_t id = btrfs_lookup_ordered_range(fs_info, inode, alloc_start, alloc_end);
    if (!id) break;
    unlock_extent(inode, alloc_start, alloc_end);
    btrfs_start_ordered_extent(fs_info, inode, id, true);
    btrfs_put_ordered_extent(fs_info, id);
  }
  if (ret) {
    inode.i_rwsem.up_write();
    return ret;
  }
  const uint64_t old_size = inode.i_size;
  for (uint64_t cur = alloc_start; cur < alloc_end && !ret;) {  // each pass consumes one mapping
    sched::point(sched::L("btrfs_get_extent(ino {} off {})", inode.ino, cur));
    const data_mapping m = btrfs_get_extent(fs_info, inode, cur);
    const uint64_t seg_end = std::min(alloc_end, m.start + m.len);
    if (m.kind == data_mapping::hole)
      ret = btrfs_prealloc_file_range(fs_info, inode, keep_size, cur, seg_end - cur, offset + len);
    cur = seg_end;
  }
  if (!ret && !keep_size && offset + len > inode.i_size) {  // the range ended on allocated extents
    inode.i_size = offset + len;
    inode.disk_i_size = inode.i_size;
    auto trans = btrfs_start_transaction(fs_info);
    ret = btrfs_update_inode(trans, inode);
    btrfs_end_transaction(trans);
  }
  if (inode.i_size != old_size) oracle_set_size(fs_info, inode, inode.i_size, op);
  unlock_extent(inode, alloc_start, alloc_end);
  inode.i_rwsem.up_write();
  return ret;
}

}  // namespace fsrace::model
