// btrfs_fallocate / __btrfs_prealloc_file_range (file.c, inode.c).
#include <algorithm>
#include <cerrno>
#include <utility>
#include <vector>

#include "model/block_group.hpp"
#include "model/data/data_oracle.hpp"
#include "model/data/delalloc_space.hpp"
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

// __btrfs_prealloc_file_range: per extent, btrfs_reserve_extent outside any transaction, then
// insert_prealloc_file_extent, whose btrfs_replace_file_extents starts the transaction (the order since
// 8fccebfa534c, 5.10) that gets the PREALLOC file extent item and the data reference, so the extent
// never needs an ordered extent.
int btrfs_prealloc_file_range(btrfs_fs_info& fs_info, btrfs_inode& inode, bool keep_size, uint64_t start,
                              uint64_t num_bytes, uint64_t size_goal) {
  uint64_t cur = start;
  while (cur < start + num_bytes) {  // each pass reserves at least one sector or fails
    btrfs_key_ins ins;
    // 6.1 find_free_extent counts every data reservation in bg->reservations (not only delalloc ones).
    int ret = btrfs_reserve_data_extent(fs_info, std::min(start + num_bytes - cur, kMaxPreallocChunk), ins, true);
    if (ret) {
      // "btrfs_prealloc_file_range() releases space even if it returns an error": what was not allocated.
      btrfs_free_reserved_data_space(fs_info, cur, start + num_bytes - cur);
      return ret;
    }
    // 1afc708dcae4 off: the reservation count drops as soon as the extent is reserved, before any
    // transaction knows of it: relocation's btrfs_wait_block_group_reservations does not wait for it and
    // its commit does not wait for the transaction that will insert it.
    const bool dec_after_insert = fs_info.fixes.has("1afc708dcae4");
    if (!dec_after_insert) btrfs_dec_block_group_reservations(fs_info, ins.objectid);
    // insert_prealloc_file_extent -> btrfs_replace_file_extents: btrfs_start_transaction, then the item.
    auto trans = btrfs_start_transaction(fs_info);
    sched::point(sched::L("insert_reserved_file_extent(ino {} off {} prealloc)", inode.ino, cur));
    ret = insert_reserved_file_extent(trans, inode, cur, ins.objectid, ins.offset, ins.offset, BTRFS_FILE_EXTENT_PREALLOC);
    // 1afc708dcae4: the count drops only once the prealloc item is in the tree, in a running transaction
    // that relocation's next commit waits for (otherwise relocation can miss the reserved extent).
    if (dec_after_insert) btrfs_dec_block_group_reservations(fs_info, ins.objectid);
    if (ret) {
      btrfs_end_transaction(trans);
      btrfs_free_reserved_extent(fs_info, ins.objectid, ins.offset);
      if (cur + ins.offset < start + num_bytes)
        btrfs_free_reserved_data_space(fs_info, cur + ins.offset, start + num_bytes - cur - ins.offset);
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
    if (ret) {
      if (cur < start + num_bytes) btrfs_free_reserved_data_space(fs_info, cur, start + num_bytes - cur);
      return ret;
    }
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
  if (ret) {
    inode.i_rwsem.up_write();
    return ret;
  }
  btrfs_lock_and_flush_ordered_range(fs_info, inode, alloc_start, alloc_end);
  const uint64_t old_size = inode.i_size;
  // The holes of the range (reserve_list), then one data reservation for all of them
  // (btrfs_alloc_data_chunk_ondemand), then a prealloc per hole; a failure gives back the rest.
  std::vector<std::pair<uint64_t, uint64_t>> reserve_list;  // start, len
  uint64_t data_space_needed = 0;
  for (uint64_t cur = alloc_start; cur < alloc_end;) {  // each pass consumes one mapping
    sched::point(sched::L("btrfs_get_extent(ino {} off {})", inode.ino, cur));
    const data_mapping m = btrfs_get_extent(fs_info, inode, cur);
    const uint64_t seg_end = std::min(alloc_end, m.start + m.len);
    if (m.kind == data_mapping::hole) {
      reserve_list.emplace_back(cur, seg_end - cur);
      data_space_needed += seg_end - cur;
    }
    cur = seg_end;
  }
  uint64_t data_space_reserved = 0;
  if (data_space_needed > 0) {
    ret = btrfs_alloc_data_chunk_ondemand(fs_info, data_space_needed);
    if (!ret) data_space_reserved = data_space_needed;
  }
  for (const auto& [rstart, rlen] : reserve_list) {
    if (!ret) {
      ret = btrfs_prealloc_file_range(fs_info, inode, keep_size, rstart, rlen, offset + len);
      data_space_reserved -= rlen;  // given back by btrfs_prealloc_file_range even on error
    } else if (data_space_reserved > 0) {
      btrfs_free_reserved_data_space(fs_info, rstart, rlen);
      data_space_reserved -= rlen;
    }
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
