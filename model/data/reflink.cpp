// btrfs_remap_file_range (reflink.c) and the VFS checks it relies on (fs/remap_range.c
// generic_remap_file_range_prep). Locks in 6.1's order: the inodes' i_rwsem (lock_two_nondirectories)
// and i_mmap_lock (btrfs_double_mmap_lock), writeback and ordered extents of both ranges, then the
// io tree ranges (btrfs_double_extent_lock) around btrfs_clone.
#include "model/data/reflink.hpp"

#include <algorithm>
#include <cerrno>
#include <vector>

#include <fmt/format.h>

#include "model/data/btrfs_inode.hpp"
#include "model/data/data_oracle.hpp"
#include "model/data/extent_io_tree.hpp"
#include "model/data/file.hpp"
#include "model/data/file_extent.hpp"
#include "model/data/inode.hpp"
#include "model/data/inode_lock.hpp"
#include "model/data/ordered_data.hpp"
#include "model/data/page_io.hpp"
#include "model/data/page_lock.hpp"
#include "model/data/read.hpp"
#include "model/data/writeback.hpp"
#include "model/delayed_ref.hpp"
#include "model/fs_info.hpp"
#include "model/transaction.hpp"
#include "model/transaction_abort.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

constexpr size_t kMaxCloneItems = 1u << 20;  // file extent items one clone may visit (bounded loop)

uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }
uint64_t align_down(uint64_t x, uint64_t a) { return x / a * a; }

// lock_two_nondirectories (lower address first; since 4ea748e1d2c9, before it btrfs_double_inode_lock:
// the higher address first, the order rename's lock_two_nondirectories inverts) and
// btrfs_double_mmap_lock (higher first), or btrfs_inode_lock(BTRFS_ILOCK_MMAP) when both are the same
// inode. Addresses are allocation numbers (inode_lock.hpp).
void lock_inodes(btrfs_fs_info& fs_info, btrfs_inode& src, btrfs_inode& dst) {
  if (&src == &dst) {
    src.i_rwsem.down_write();
    src.i_mmap_lock.down_write();
    return;
  }
  btrfs_inode* low = inode_address_less(src, dst) ? &src : &dst;
  btrfs_inode* high = low == &src ? &dst : &src;
  if (fs_info.fixes.has("4ea748e1d2c9")) {
    lock_two_nondirectories(src, &dst);
  } else {
    high->i_rwsem.down_write();  // inode_lock_nested(I_MUTEX_PARENT)
    low->i_rwsem.down_write();   // inode_lock_nested(I_MUTEX_CHILD)
  }
  high->i_mmap_lock.down_write();
  low->i_mmap_lock.down_write();  // down_write_nested(SINGLE_DEPTH_NESTING)
}

void unlock_inodes(btrfs_inode& src, btrfs_inode& dst) {
  if (&src == &dst) {
    src.i_mmap_lock.up_write();
    src.i_rwsem.up_write();
    return;
  }
  src.i_mmap_lock.up_write();  // btrfs_double_mmap_unlock
  dst.i_mmap_lock.up_write();
  src.i_rwsem.up_write();  // unlock_two_nondirectories
  dst.i_rwsem.up_write();
}

// btrfs_assert_inode_range_clean: no ordered extent may exist in a range locked for cloning.
void btrfs_assert_inode_range_clean(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end) {
  const uint64_t id = btrfs_lookup_ordered_range(fs_info, inode, start, end);
  if (!id) return;
  btrfs_put_ordered_extent(fs_info, id);
  FSRACE_ASSERT(false, "btrfs_assert_inode_range_clean: ordered extent {} in range [{}, {}) of root {} ino {}", id,
                start, end, inode.root, inode.ino);
}

// btrfs_double_extent_lock: the range of the inode with the higher address first (of one inode, the
// lower range first), then both asserted clean.
void btrfs_double_extent_lock(btrfs_fs_info& fs_info, btrfs_inode& i1, uint64_t off1, btrfs_inode& i2, uint64_t off2,
                              uint64_t len) {
  btrfs_inode* a = &i1;
  btrfs_inode* b = &i2;
  if (inode_address_less(*a, *b)) {
    std::swap(a, b);
    std::swap(off1, off2);
  } else if (a == b && off2 < off1) {
    std::swap(off1, off2);
  }
  lock_extent(fs_info, *a, off1, off1 + len);
  lock_extent(fs_info, *b, off2, off2 + len);
  btrfs_assert_inode_range_clean(fs_info, *a, off1, off1 + len);
  btrfs_assert_inode_range_clean(fs_info, *b, off2, off2 + len);
}

void btrfs_double_extent_unlock(btrfs_inode& i1, uint64_t off1, btrfs_inode& i2, uint64_t off2, uint64_t len) {
  unlock_extent(i1, off1, off1 + len);
  unlock_extent(i2, off2, off2 + len);
}

// The io tree ranges around btrfs_clone: since d8b552424210 both (the destination's against readahead,
// the source's against relocation's replace_file_extents, which skips a range it cannot try-lock);
// before it only the destination's.
void remap_lock_ranges(btrfs_fs_info& fs_info, btrfs_inode& src, uint64_t off, btrfs_inode& dst, uint64_t destoff,
                       uint64_t len) {
  if (fs_info.fixes.has("d8b552424210")) {
    btrfs_double_extent_lock(fs_info, src, off, dst, destoff, len);
    return;
  }
  lock_extent(fs_info, dst, destoff, destoff + len);
  btrfs_assert_inode_range_clean(fs_info, dst, destoff, destoff + len);
}

void remap_unlock_ranges(btrfs_fs_info& fs_info, btrfs_inode& src, uint64_t off, btrfs_inode& dst, uint64_t destoff,
                         uint64_t len) {
  if (fs_info.fixes.has("d8b552424210"))
    btrfs_double_extent_unlock(src, off, dst, destoff, len);
  else
    unlock_extent(dst, destoff, destoff + len);
}

// struct btrfs_replace_extent_info: the source's item with the part of it being cloned.
struct replace_extent_info {
  btrfs_file_extent_item fi;  // the source item as read (extent_buf)
  uint64_t data_offset = 0, data_len = 0, file_offset = 0;
};

// btrfs_insert_replace_extent (is_new_extent false): the item pointing into the source's extent, and a
// data reference of the destination (btrfs_inc_extent_ref) for it. bytes_to_drop: what the drop before it
// found (2766ff61762c: the inode's bytes change here, once, after the insert).
int btrfs_insert_replace_extent(btrfs_trans_handle& trans, btrfs_inode& inode, btrfs_root& root,
                                const replace_extent_info& info, uint64_t replace_len, uint64_t bytes_to_drop) {
  const bool atomic_bytes = trans.fs_info->fixes.has("2766ff61762c");
  if (replace_len == 0) return 0;
  if (info.fi.disk_bytenr == 0) {  // NO_HOLES: a hole has no item
    if (atomic_bytes) btrfs_update_inode_bytes(inode, 0, bytes_to_drop);
    return 0;
  }
  btrfs_file_extent_item fi = info.fi;
  fi.offset = info.data_offset;
  fi.num_bytes = replace_len;
  inode.items_lock.lock();
  const int ret = btrfs_insert_item(trans, root, {inode.ino, BTRFS_EXTENT_DATA_KEY, info.file_offset}, fi);
  inode.items_lock.unlock();
  if (ret) return ret;
  if (atomic_bytes)
    btrfs_update_inode_bytes(inode, replace_len, bytes_to_drop);
  else
    inode.nbytes += replace_len;  // inode_add_bytes: the drop took the old bytes off already
  sched::point(sched::L("btrfs_inc_extent_ref(bytenr {} ino {})", fi.disk_bytenr, inode.ino));
  btrfs_add_delayed_data_ref(trans, fi.disk_bytenr, fi.disk_num_bytes, inode.root, inode.ino,
                             info.file_offset - info.data_offset, 0, +1, false);
  return 0;
}

// btrfs_replace_file_extents for clone (info set) or a hole (info null): drops the items of
// [start, end] (end inclusive) in a new transaction and inserts the clone's item. On success the
// caller owns the transaction handle (trans_out). The kernel drops in several transactions when a
// drop runs out of its reservation (-ENOSPC); the model reserves no metadata, so it takes one.
int btrfs_replace_file_extents(btrfs_fs_info& fs_info, btrfs_inode& inode, uint64_t start, uint64_t end,
                               const replace_extent_info* info, btrfs_trans_handle* trans_out) {
  if (end <= start) return -EINVAL;
  btrfs_root* root = fs_info.get_fs_root(inode.root);
  FSRACE_MODEL_CHECK(root != nullptr, "clone into ino {} of missing root {}", inode.ino, inode.root);
  btrfs_trans_handle trans = btrfs_start_transaction(fs_info);
  uint64_t bytes_found = 0;
  int ret = btrfs_drop_extents(trans, inode, start, end + 1, &bytes_found);
  // A hole punch (no info) takes the dropped bytes off right after the drop (2766ff61762c; before it the
  // drop did).
  if (!info && fs_info.fixes.has("2766ff61762c")) btrfs_update_inode_bytes(inode, 0, bytes_found);
  FSRACE_ABORT_TRANSACTION_IF(ret != 0, ret, "btrfs_replace_file_extents: drop of ino {} [{}, {}]", inode.ino, start, end);
  if (info) {
    ret = btrfs_insert_replace_extent(trans, inode, *root, *info, info->data_len, bytes_found);
    FSRACE_ABORT_TRANSACTION_IF(ret != 0, ret, "btrfs_insert_replace_extent ino {} offset {}", inode.ino, info->file_offset);
  }
  *trans_out = std::move(trans);
  return 0;
}

// clone_finish_inode_update: the destination grows to what was cloned (never past destoff + olen: the
// clone rounds up to the block at the source's end of file), its inode item is updated and the
// transaction ends.
int clone_finish_inode_update(btrfs_trans_handle& trans, btrfs_inode& inode, uint64_t endoff, uint64_t destoff,
                              uint64_t olen) {
  endoff = std::min(endoff, destoff + olen);
  if (endoff > inode.i_size) {
    inode.i_size = endoff;
    inode.disk_i_size = endoff;  // btrfs_inode_safe_disk_i_size_write: the items now reach endoff
  }
  const int ret = btrfs_update_inode(trans, inode);
  FSRACE_ABORT_TRANSACTION_IF(ret != 0, ret, "clone_finish_inode_update ino {}", inode.ino);
  return btrfs_end_transaction(trans);
}

// btrfs_clone: copies the file extent items of [off, off + len) of src to destoff in dst, one item
// per transaction. A reader of the current tree: it searches again for every item and lets go of the
// leaf while it edits the destination, so ordered extents of other ranges of src may complete
// meanwhile and change the items around the range (d4597898ba7b). `cloned_end` gets the end of what
// the destination now maps from the source.
int btrfs_clone(btrfs_fs_info& fs_info, btrfs_inode& src, btrfs_inode& dst, uint64_t off, uint64_t olen,
                uint64_t olen_aligned, uint64_t destoff, uint64_t* cloned_end) {
  const uint64_t len = olen_aligned;
  const uint64_t sectorsize = fs_info.sectorsize;
  const bool skip_processed = fs_info.fixes.has("d4597898ba7b");
  btrfs_root* src_root = fs_info.get_fs_root(src.root);
  if (!src_root) return -ENOENT;
  uint64_t last_dest_end = destoff;
  uint64_t prev_extent_end = off;
  btrfs_key key{src.ino, BTRFS_EXTENT_DATA_KEY, off};
  btrfs_path path;
  int ret = 0;
  size_t visited = 0;
  *cloned_end = destoff;
  for (bool more = true; more;) {
    uint64_t next_key_min_offset = key.offset + 1;  // before d4597898ba7b
    sched::point(sched::L("btrfs_search_slot(clone source ino {} offset {})", src.ino, key.offset));
    ret = btrfs_search_slot(fs_info, *src_root, key, path);
    if (ret < 0) return ret;
    // The first search may land after an item that starts before `off` and overlaps the range.
    if (key.offset == off && ret > 0 && path.slots[0] > 0) {
      const tree_block* leaf = btrfs_path_block(fs_info, path, 0);
      if (leaf->key_at(path.slots[0] - 1).type == BTRFS_EXTENT_DATA_KEY) path.slots[0]--;
    }
    // process_slot: find the next item that starts an unprocessed piece of the range.
    btrfs_file_extent_item fi;
    for (;;) {
      FSRACE_MODEL_CHECK(++visited < kMaxCloneItems, "btrfs_clone ino {}: runaway scan", src.ino);
      const tree_block* leaf = btrfs_path_block(fs_info, path, 0);
      if (path.slots[0] >= int(leaf->nritems())) {
        ret = btrfs_next_leaf(fs_info, *src_root, path, true);
        if (ret < 0) return ret;
        if (ret > 0) {
          more = false;
          break;
        }
      }
      const btrfs_item& item = btrfs_path_item(fs_info, path);
      key = item.key;
      if (key.type > BTRFS_EXTENT_DATA_KEY || key.objectid != src.ino) {
        more = false;
        break;
      }
      FSRACE_MODEL_CHECK(key.type == BTRFS_EXTENT_DATA_KEY, "btrfs_clone: item type {} below EXTENT_DATA", key.type);
      fi = std::get<btrfs_file_extent_item>(item.value);
      // Items ending before the range (a NO_HOLES gap at its start) or, since d4597898ba7b, ending
      // where an item already processed ended (an ordered extent completion split it meanwhile).
      const uint64_t skip_below = skip_processed ? prev_extent_end : off;
      if (key.offset + fi.num_bytes <= skip_below) {
        path.slots[0]++;
        continue;
      }
      if (key.offset >= off + len) more = false;
      break;
    }
    if (!more) break;
    uint64_t datao = fi.offset, datal = fi.num_bytes;
    prev_extent_end = key.offset + datal;
    next_key_min_offset = key.offset + datal;
    path.release();

    const uint64_t new_offset = off <= key.offset ? key.offset + destoff - off : destoff;
    const uint64_t drop_start = new_offset != last_dest_end ? last_dest_end : new_offset;  // NO_HOLES gap
    if (key.offset + datal > off + len) datal = off + len - key.offset;  // the part after the range
    if (off > key.offset) {                                               // the part before it
      datao += off - key.offset;
      datal -= off - key.offset;
    }
    FSRACE_MODEL_CHECK(fi.type != BTRFS_FILE_EXTENT_INLINE, "btrfs_clone: inline extents are not modelled");
    replace_extent_info info{fi, datao, datal, new_offset};
    btrfs_trans_handle trans;
    ret = btrfs_replace_file_extents(fs_info, dst, drop_start, new_offset + datal - 1, &info, &trans);
    if (ret) return ret;
    last_dest_end = align_up(new_offset + datal, sectorsize);
    *cloned_end = last_dest_end;
    ret = clone_finish_inode_update(trans, dst, last_dest_end, destoff, olen);
    if (ret) return ret;
    if (new_offset + datal >= destoff + len) break;
    key.offset = skip_processed ? prev_extent_end : next_key_min_offset;
  }
  ret = 0;
  if (last_dest_end < destoff + len) {  // a hole (no item with NO_HOLES) at the end of the range
    btrfs_trans_handle trans;
    ret = btrfs_replace_file_extents(fs_info, dst, last_dest_end, destoff + len - 1, nullptr, &trans);
    if (ret) return ret;
    *cloned_end = destoff + len;
    ret = clone_finish_inode_update(trans, dst, destoff + len, destoff, olen);
  }
  return ret;
}

// truncate_inode_pages_range: cached pages of the destination range go, so reads see the clone.
void truncate_inode_pages_range(btrfs_inode& inode, uint64_t start, uint64_t end) {
  const uint64_t first = page_index(round_down_page(start)), last = page_index(round_up_page(end) - 1);
  auto& pages = inode.mapping.pages;
  if (pages.lower_bound(first) == pages.end() || pages.lower_bound(first)->first > last) return;
  wait_on_page_writeback_range(inode, first, last);
  lock_pages(inode, first, last, "truncate_inode_pages_range(ino {} index {})");
  pages.erase(pages.lower_bound(first), pages.upper_bound(last));
  inode.page_waiters.wake_all();
}

// generic_remap_checks (fs/remap_range.c): alignment, ranges inside the files, no overlap within one
// file. `len` may shrink to the source's end of file; can_shorten is REMAP_FILE_CAN_SHORTEN (dedupe).
int generic_remap_checks(const btrfs_inode& src, uint64_t pos_in, const btrfs_inode& dst, uint64_t pos_out,
                         uint64_t* len, bool dedupe, uint64_t bs) {
  uint64_t count = *len;
  if (pos_in % bs || pos_out % bs) return -EINVAL;
  if (pos_in + count < pos_in || pos_out + count < pos_out) return -EINVAL;
  const uint64_t size_in = src.i_size, size_out = dst.i_size;
  if (dedupe && (pos_in >= size_in || pos_in + count > size_in || pos_out >= size_out || pos_out + count > size_out))
    return -EINVAL;
  if (pos_in >= size_in) return -EINVAL;
  count = std::min(count, size_in - pos_in);
  uint64_t bcount;
  if (pos_in + count == size_in && (!dedupe || pos_out + count == size_out)) {
    bcount = align_up(size_in, bs) - pos_in;
  } else {
    count = align_down(count, bs);
    bcount = count;
  }
  if (&src == &dst && pos_out + bcount > pos_in && pos_out < pos_in + bcount) return -EINVAL;
  if (*len != count && !dedupe) return -EINVAL;
  *len = count;
  return 0;
}

// generic_remap_check_len: an unaligned tail may only be cloned at (or past) the destination's end.
int generic_remap_check_len(const btrfs_inode& dst, uint64_t pos_out, uint64_t* len, bool dedupe, uint64_t bs) {
  if (*len % bs == 0) return 0;
  uint64_t new_len = *len;
  if (pos_out + *len < dst.i_size) new_len = align_down(new_len, bs);
  if (new_len == *len) return 0;
  if (dedupe) {  // REMAP_FILE_CAN_SHORTEN
    *len = new_len;
    return 0;
  }
  return -EINVAL;
}

// vfs_dedupe_file_range_compare: the two ranges read through the page cache. The kernel compares page
// by page with both pages locked; the model reads each range whole (same bytes: both inodes are locked
// and their ranges written back).
int dedupe_compare(btrfs_fs_info& fs_info, btrfs_inode& src, uint64_t pos_in, btrfs_inode& dst, uint64_t pos_out,
                   uint64_t len, bool* same) {
  std::vector<uint8_t> a, b;
  int64_t n = btrfs_file_read(fs_info, src, pos_in, len, false, a);
  if (n < 0) return int(n);
  n = btrfs_file_read(fs_info, dst, pos_out, len, false, b);
  if (n < 0) return int(n);
  *same = a == b;
  return 0;
}

// generic_remap_file_range_prep.
int generic_remap_file_range_prep(btrfs_fs_info& fs_info, btrfs_inode& src, uint64_t pos_in, btrfs_inode& dst,
                                  uint64_t pos_out, uint64_t* len, bool dedupe) {
  const uint64_t bs = fs_info.sectorsize;
  if (*len == 0) {  // a zero length dedupe does nothing; a clone goes to the end of file
    if (dedupe || pos_in == src.i_size) return 0;
    if (pos_in > src.i_size) return -EINVAL;
    *len = src.i_size - pos_in;
  }
  int ret = generic_remap_checks(src, pos_in, dst, pos_out, len, dedupe, bs);
  if (ret || *len == 0) return ret;
  inode_dio_wait(src);
  if (&src != &dst) inode_dio_wait(dst);
  ret = filemap_write_and_wait_range(fs_info, src, pos_in, pos_in + *len);
  if (ret) return ret;
  ret = filemap_write_and_wait_range(fs_info, dst, pos_out, pos_out + *len);
  if (ret) return ret;
  if (dedupe) {
    bool same = false;
    ret = dedupe_compare(fs_info, src, pos_in, dst, pos_out, *len, &same);
    if (ret) return ret;
    if (!same) return -EBADE;
  }
  return generic_remap_check_len(dst, pos_out, len, dedupe, bs);
}

// btrfs_remap_file_range_prep.
int btrfs_remap_file_range_prep(btrfs_fs_info& fs_info, btrfs_inode& src, uint64_t pos_in, btrfs_inode& dst,
                                uint64_t pos_out, uint64_t* len, bool dedupe) {
  const uint64_t bs = fs_info.sectorsize;
  if (!dedupe) {
    btrfs_root* root_out = fs_info.get_fs_root(dst.root);
    if (!root_out || root_out->is_readonly()) return -EROFS;
  }
  if ((src.flags & BTRFS_INODE_NODATASUM) != (dst.flags & BTRFS_INODE_NODATASUM)) return -EINVAL;
  uint64_t wb_len;
  if (*len == 0 && !dedupe)
    wb_len = align_up(src.i_size, bs) > align_down(pos_in, bs) ? align_up(src.i_size, bs) - align_down(pos_in, bs) : ~0ull;
  else
    wb_len = align_up(*len, bs);
  // filemap_flush of the whole source: nocow writes reach disk as nocow before the extents are shared;
  // it starts writeback without waiting for it or for the ordered extents.
  int ret = btrfs_fdatawrite_range(fs_info, src, 0, ~0ull);
  if (ret < 0) return ret;
  ret = btrfs_wait_ordered_range(fs_info, src, align_down(pos_in, bs), wb_len);
  if (ret < 0) return ret;
  ret = btrfs_wait_ordered_range(fs_info, dst, align_down(pos_out, bs), wb_len);
  if (ret < 0) return ret;
  return generic_remap_file_range_prep(fs_info, src, pos_in, dst, pos_out, len, dedupe);
}

// The data oracle: the destination range now reads what the source range held.
void oracle_note_clone(btrfs_fs_info& fs_info, const btrfs_inode& src, uint64_t off, const btrfs_inode& dst,
                       uint64_t destoff, uint64_t bytes, uint32_t op) {
  if (bytes == 0) return;
  std::vector<uint8_t> data(bytes);
  if (!oracle_expected(fs_info, src.root, src.ino, off, data)) {
    // A file the oracle does not follow (in a snapshot): the source's bytes on disk (written back by
    // the prep) are what the destination now shares.
    const uint64_t span = round_up_page(bytes);
    std::vector<uint8_t> disk(span);
    if (btrfs_read_file_extents(fs_info, src, off, disk, false).err) return;
    std::copy(disk.begin(), disk.begin() + bytes, data.begin());
  }
  oracle_write(fs_info, dst, destoff, data, op);
}

// btrfs_clone_files.
int btrfs_clone_files(btrfs_fs_info& fs_info, btrfs_inode& dst, btrfs_inode& src, uint64_t off, uint64_t olen,
                      uint64_t destoff, uint32_t op) {
  const uint64_t bs = fs_info.sectorsize;
  uint64_t len = olen;
  if (off + len == src.i_size) len = align_up(src.i_size, bs) - off;
  if (destoff > dst.i_size) {  // btrfs_cont_expand: the gap reads as a hole (NO_HOLES: no hole items)
    const uint64_t wb_start = align_down(dst.i_size, bs);
    dst.i_size = dst.disk_i_size = destoff;
    btrfs_trans_handle trans = btrfs_start_transaction(fs_info);
    int ret = btrfs_update_inode(trans, dst);
    btrfs_end_transaction(trans);
    oracle_set_size(fs_info, dst, destoff, op);
    if (ret) return ret;
    ret = btrfs_wait_ordered_range(fs_info, dst, wb_start, destoff - wb_start);
    if (ret) return ret;
  }
  remap_lock_ranges(fs_info, src, off, dst, destoff, len);
  uint64_t cloned_end = destoff;
  int ret = btrfs_clone(fs_info, src, dst, off, olen, len, destoff, &cloned_end);
  oracle_note_clone(fs_info, src, off, dst, destoff, std::min(cloned_end, destoff + olen) - destoff, op);
  remap_unlock_ranges(fs_info, src, off, dst, destoff, len);
  const int wb_ret = btrfs_wait_ordered_range(fs_info, dst, destoff, len);
  if (!ret) ret = wb_ret;
  truncate_inode_pages_range(dst, destoff, destoff + len);
  return ret;
}

// btrfs_extent_same: dedupe in pieces of BTRFS_MAX_DEDUPE_LEN, each with both ranges locked.
int btrfs_extent_same(btrfs_fs_info& fs_info, btrfs_inode& src, uint64_t loff, uint64_t olen, btrfs_inode& dst,
                      uint64_t dst_loff, uint32_t op) {
  const bool exclude_send = fs_info.fixes.has("62d54f3a7fa2");
  btrfs_root_send_info* root_dst = nullptr;
  if (exclude_send) {
    sched::point(sched::L("spin_lock(root {} root_item_lock)", dst.root));
    root_dst = &fs_info.root_send_info[dst.root];
    if (root_dst->send_in_progress) {
      fs_info.log(fmt::format("BTRFS warning: cannot deduplicate to root {} while send operations are using it "
                              "({} in progress)", dst.root, root_dst->send_in_progress));
      return -EAGAIN;
    }
    root_dst->dedupe_in_progress++;
  }
  int ret = 0;
  for (uint64_t done = 0; done < olen && !ret;) {
    const uint64_t piece = std::min(olen - done, BTRFS_MAX_DEDUPE_LEN);
    remap_lock_ranges(fs_info, src, loff + done, dst, dst_loff + done, piece);
    uint64_t cloned_end = dst_loff + done;
    ret = btrfs_clone(fs_info, src, dst, loff + done, piece, align_up(piece, fs_info.sectorsize), dst_loff + done,
                      &cloned_end);
    oracle_note_clone(fs_info, src, loff + done, dst, dst_loff + done,
                      std::min(cloned_end, dst_loff + done + piece) - (dst_loff + done), op);
    remap_unlock_ranges(fs_info, src, loff + done, dst, dst_loff + done, piece);
    done += piece;
  }
  if (exclude_send) {
    sched::point(sched::L("spin_lock(root {} root_item_lock)", dst.root));
    fs_info.root_send_info[dst.root].dedupe_in_progress--;
  }
  return ret;
}

}  // namespace

int64_t btrfs_remap_file_range(btrfs_fs_info& fs_info, btrfs_inode& src, uint64_t off, btrfs_inode& dst,
                               uint64_t destoff, uint64_t len, bool dedupe, std::string_view origin) {
  const uint32_t op = oracle_note_op(fs_info, origin);
  lock_inodes(fs_info, src, dst);
  int ret = btrfs_remap_file_range_prep(fs_info, src, off, dst, destoff, &len, dedupe);
  if (ret >= 0 && len > 0)
    ret = dedupe ? btrfs_extent_same(fs_info, src, off, len, dst, destoff, op)
                 : btrfs_clone_files(fs_info, dst, src, off, len, destoff, op);
  unlock_inodes(src, dst);
  return ret < 0 ? ret : int64_t(len);
}

}  // namespace fsrace::model
