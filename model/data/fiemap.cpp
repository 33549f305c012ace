#include "model/data/fiemap.hpp"

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "model/ctree.hpp"
#include "model/data/btrfs_inode.hpp"
#include "model/data/extent_io_tree.hpp"
#include "model/data/extent_shared.hpp"
#include "model/data/file_extent.hpp"
#include "model/data/ordered_data.hpp"
#include "model/data/page_cache.hpp"
#include "model/data/writeback.hpp"
#include "model/fs_info.hpp"
#include "scheduler/finding.hpp"

namespace fsrace::model {
namespace {

uint64_t round_down(uint64_t x, uint64_t a) { return x / a * a; }
uint64_t round_up(uint64_t x, uint64_t a) { return x % a ? x + (a - x % a) : x; }

// fiemap_fill_next_extent (fs/ioctl.c): 1 when the caller must stop (array full, or LAST copied).
int fiemap_fill_next_extent(fiemap_extent_info& fi, uint64_t logical, uint64_t phys, uint64_t len, uint32_t flags) {
  if (fi.fi_extents_max == 0) {  // only count the extents
    fi.fi_extents_mapped++;
    return (flags & FIEMAP_EXTENT_LAST) ? 1 : 0;
  }
  if (fi.fi_extents_mapped >= fi.fi_extents_max) return 1;
  if (flags & FIEMAP_EXTENT_DELALLOC) flags |= FIEMAP_EXTENT_UNKNOWN;       // SET_UNKNOWN_FLAGS
  if (flags & FIEMAP_EXTENT_DATA_INLINE) flags |= FIEMAP_EXTENT_NOT_ALIGNED;  // SET_NOT_ALIGNED_FLAGS
  fi.extents.push_back({logical, phys, len, flags});
  fi.fi_extents_mapped++;
  if (fi.fi_extents_mapped == fi.fi_extents_max) return 1;
  return (flags & FIEMAP_EXTENT_LAST) ? 1 : 0;
}

// emit_fiemap_extent's answer (978b63f7464a): the buffer is full; unlock, copy it out, search again.
// Negative and no errno, as the kernel's -(MAX_ERRNO + 1).
constexpr int BTRFS_FIEMAP_FLUSH_CACHE = -(4095 + 1);

// struct fiemap_cache: the previous extent, held back to merge with the next one. With 978b63f7464a
// (`buffered`) also the buffer of ready extents, copied to user space only with the io tree unlocked:
// PAGE_SIZE / sizeof(struct btrfs_fiemap_entry) (32 bytes) = 128 of them.
struct fiemap_cache {
  bool buffered = false;
  std::vector<fiemap_extent> entries;
  size_t entries_size = PAGE_SIZE / 32;
  uint64_t next_search_offset = 0;  // where the search resumes after a flush
  uint32_t extents_mapped = 0;      // fi_extents_mapped as buffered, to stop at fi_extents_max
  uint64_t offset = 0, phys = 0, len = 0;
  uint32_t flags = 0;
  bool cached = false;
};

// flush_fiemap_cache (978b63f7464a): copies the buffered extents out; fiemap_fill_next_extent's 1 (array
// full) is ignored, extents_mapped already stopped the walk there.
int flush_fiemap_cache(fiemap_extent_info& fi, fiemap_cache& cache) {
  for (const fiemap_extent& e : cache.entries) {
    const int ret = fiemap_fill_next_extent(fi, e.fe_logical, e.fe_physical, e.fe_length, e.fe_flags);
    if (ret < 0) return ret;
  }
  cache.entries.clear();
  return 0;
}

// emit_fiemap_extent: merges with the cached extent when contiguous in file and disk with equal flags,
// and (6.1.192) trims or drops what overlaps it when ordered extents completed while the walk moved to
// the next leaf.
int emit_fiemap_extent(fiemap_extent_info& fi, fiemap_cache& cache, uint64_t offset, uint64_t phys, uint64_t len,
                       uint32_t flags) {
  FSRACE_ASSERT((flags & FIEMAP_EXTENT_LAST) == 0, "emit_fiemap_extent with FIEMAP_EXTENT_LAST");
  if (cache.cached) {
    const uint64_t cache_end = cache.offset + cache.len;
    if (cache_end > offset) {
      if (offset == cache.offset) goto assign;  // a file extent item replaced the delalloc we cached
      if (offset > cache.offset) {
        cache.len = offset - cache.offset;  // a cached item split by an ordered extent completion
        goto emit;
      }
      const uint64_t range_end = offset + len;
      if (range_end <= cache_end) return 0;  // all of it emitted already
      if (!(flags & (FIEMAP_EXTENT_ENCODED | FIEMAP_EXTENT_DELALLOC))) phys += cache_end - offset;
      offset = cache_end;
      len = range_end - cache_end;
      goto emit;
    }
    if (cache.offset + cache.len == offset && cache.phys + cache.len == phys && cache.flags == flags) {
      cache.len += len;
      return 0;
    }
  emit:
    if (cache.buffered) {
      if (cache.entries.size() == cache.entries_size) {
        // Search again from the end of the last buffered extent, not from `offset`: a write may fill
        // the gap between them once the range is unlocked.
        const fiemap_extent& last = cache.entries.back();
        cache.next_search_offset = last.fe_logical + last.fe_length;
        cache.cached = false;
        return BTRFS_FIEMAP_FLUSH_CACHE;
      }
      cache.entries.push_back({cache.offset, cache.phys, cache.len, cache.flags});
      cache.extents_mapped++;
      if (cache.extents_mapped == fi.fi_extents_max) {
        cache.cached = false;
        return 1;
      }
    } else {
      const int ret = fiemap_fill_next_extent(fi, cache.offset, cache.phys, cache.len, cache.flags);
      cache.cached = false;
      if (ret) return ret;
    }
  }
assign:
  cache.offset = offset;
  cache.phys = phys;
  cache.len = len;
  cache.flags = flags;
  cache.cached = true;
  return 0;
}

int emit_last_fiemap_cache(fiemap_extent_info& fi, fiemap_cache& cache) {
  if (!cache.cached) return 0;
  const int ret = fiemap_fill_next_extent(fi, cache.offset, cache.phys, cache.len, cache.flags);
  cache.cached = false;
  return ret > 0 ? 0 : ret;
}

// A private copy of one leaf of the subvolume tree (btrfs_clone_extent_buffer): fiemap walks it without
// holding the tree, so writers and ordered extent completions of other ranges may change the real leaf.
struct cloned_leaf {
  std::vector<btrfs_item> items;
  size_t slot = 0;
  const btrfs_item& item() const { return items[slot]; }
};

void clone_leaf(btrfs_fs_info& fs_info, btrfs_path& path, cloned_leaf& out) {
  const tree_block* leaf = btrfs_path_block(fs_info, path, 0);
  out.items = leaf->items;
  out.slot = size_t(path.slots[0]);
  path.release();
}

bool is_file_extent_of(const btrfs_key& key, uint64_t ino) {
  return key.objectid == ino && key.type == BTRFS_EXTENT_DATA_KEY;
}

// fiemap_search_slot: the first file extent item at file_offset or the one just before it. 0 found,
// 1 none, < 0 error.
int fiemap_search_slot(btrfs_fs_info& fs_info, btrfs_root& root, const btrfs_inode& inode, uint64_t file_offset,
                       cloned_leaf& out) {
  sched::point(sched::L("btrfs_search_slot(fiemap ino {} offset {})", inode.ino, file_offset));
  btrfs_path path;
  int ret = btrfs_search_slot(fs_info, root, {inode.ino, BTRFS_EXTENT_DATA_KEY, file_offset}, path);
  if (ret < 0) return ret;
  const tree_block* leaf = btrfs_path_block(fs_info, path, 0);
  if (ret > 0 && path.slots[0] > 0 && is_file_extent_of(leaf->key_at(uint32_t(path.slots[0] - 1)), inode.ino))
    path.slots[0]--;
  if (path.slots[0] >= int(leaf->nritems())) {
    ret = btrfs_next_leaf(fs_info, root, path);
    if (ret != 0) return ret;
    if (!is_file_extent_of(btrfs_path_item(fs_info, path).key, inode.ino)) return 1;
  }
  clone_leaf(fs_info, path, out);
  return 0;
}

// fiemap_next_leaf_item: the next item of the clone, or btrfs_next_leaf, which searches the tree again
// from the clone's last key (the clone has no parent nodes): a new leaf as it is now.
int fiemap_next_leaf_item(btrfs_fs_info& fs_info, btrfs_root& root, const btrfs_inode& inode, cloned_leaf& leaf) {
  if (++leaf.slot < leaf.items.size()) return 0;
  const btrfs_key last = leaf.items.back().key;
  sched::point(sched::L("btrfs_next_leaf(fiemap ino {} after offset {})", inode.ino, last.offset));
  btrfs_path path;
  int ret = btrfs_search_slot(fs_info, root, last, path);
  if (ret < 0) return ret;
  if (ret == 0) path.slots[0]++;
  const tree_block* cur = btrfs_path_block(fs_info, path, 0);
  if (path.slots[0] >= int(cur->nritems())) {
    ret = btrfs_next_leaf(fs_info, root, path);
    if (ret != 0) return ret;
  }
  if (!is_file_extent_of(btrfs_path_item(fs_info, path).key, inode.ino)) return 1;
  clone_leaf(fs_info, path, leaf);
  return 0;
}

// find_delalloc_subrange (file.c): EXTENT_DELALLOC from the io tree (count_range_bits, contiguous), then
// an extent map that maps neither a hole nor a prealloc extent: the model keeps only pinned maps, every
// one of them a write in flight (create_io_em; a write into a prealloc extent is FILLING, not PREALLOC).
bool find_delalloc_subrange(const btrfs_inode& inode, uint64_t start, uint64_t end, uint64_t* ds, uint64_t* de) {
  uint64_t delalloc_len = 0;
  *ds = start;
  if (auto r = inode.io_tree.delalloc.first_from(start); r && r->first <= end) {
    *ds = std::max(start, r->first);
    delalloc_len = std::min(end + 1, r->second) - *ds;
    *de = *ds + delalloc_len - 1;
  }
  const extent_map* em = nullptr;  // lookup_extent_mapping(em_tree, start, len)
  for (const auto& [s, m] : inode.extent_tree) {
    if (m.start > end) break;
    if (m.end() > start) {
      em = &m;
      break;
    }
  }
  if (!em) return delalloc_len > 0;
  const uint64_t em_end = em->end();
  if (delalloc_len == 0) {
    *ds = em->start;
    *de = std::min(end, em_end - 1);
    return true;
  }
  if (em->start < *ds) {
    *ds = em->start;
    // 6.1 compares with the start it has just lowered, so this never holds: the io tree's end stays.
    if (em_end < *ds) *de = std::min(end, em_end - 1);
    return true;
  }
  if (*de + 1 == em->start) *de = std::min(end, em_end - 1);
  return true;
}

// fiemap_process_hole: [start, end] (inclusive) is a hole (disk_bytenr 0) or a prealloc extent. Reports
// its delalloc below i_size (each lookup under the range lock), and the prealloc pieces between.
int fiemap_process_hole(btrfs_fs_info& fs_info, btrfs_inode& inode, fiemap_extent_info& fi, fiemap_cache& cache,
                        uint64_t disk_bytenr, uint64_t extent_offset, uint64_t extent_gen, uint64_t start,
                        uint64_t end) {
  const uint64_t i_size = inode.i_size;
  const uint64_t sectorsize = fs_info.sectorsize;
  uint64_t cur_offset = start;
  uint64_t last_delalloc_end = 0;
  uint32_t prealloc_flags = FIEMAP_EXTENT_UNWRITTEN;
  bool checked_extent_shared = false;
  int ret = 0;
  while (cur_offset < end && cur_offset < i_size) {
    const uint64_t lockstart = round_down(cur_offset, sectorsize);
    const uint64_t lockend = round_up(end, sectorsize);  // inclusive, as 6.1 passes it
    uint64_t delalloc_start = 0, delalloc_end = 0;
    // 978b63f7464a: the whole range is locked already, for the walk that found this hole.
    if (!cache.buffered) lock_extent(fs_info, inode, lockstart, lockend + 1);
    const bool delalloc = btrfs_find_delalloc_in_range(inode, cur_offset, end, &delalloc_start, &delalloc_end);
    if (!cache.buffered) unlock_extent(inode, lockstart, lockend + 1);
    if (!delalloc) break;
    uint64_t prealloc_start = 0, prealloc_len = 0;
    if (disk_bytenr != 0) {
      prealloc_start = last_delalloc_end == 0 ? start : last_delalloc_end + 1;
      prealloc_len = delalloc_start - prealloc_start;
    }
    if (prealloc_len > 0) {
      if (!checked_extent_shared && fi.fi_extents_max) {
        if (btrfs_is_data_extent_shared(fs_info, inode, disk_bytenr, extent_gen) > 0)
          prealloc_flags |= FIEMAP_EXTENT_SHARED;
        checked_extent_shared = true;
      }
      ret = emit_fiemap_extent(fi, cache, prealloc_start, disk_bytenr + extent_offset, prealloc_len, prealloc_flags);
      if (ret) return ret;
      extent_offset += prealloc_len;
    }
    ret = emit_fiemap_extent(fi, cache, delalloc_start, 0, delalloc_end + 1 - delalloc_start,
                             FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_UNKNOWN);
    if (ret) return ret;
    last_delalloc_end = delalloc_end;
    cur_offset = delalloc_end + 1;
    extent_offset += cur_offset - delalloc_start;
  }
  // No delalloc in the whole prealloc extent, or a prealloc extent at or past i_size.
  if (disk_bytenr != 0 && last_delalloc_end < end) {
    const uint64_t prealloc_start = last_delalloc_end == 0 ? start : last_delalloc_end + 1;
    const uint64_t prealloc_len = end + 1 - prealloc_start;
    if (!checked_extent_shared && fi.fi_extents_max &&
        btrfs_is_data_extent_shared(fs_info, inode, disk_bytenr, extent_gen) > 0)
      prealloc_flags |= FIEMAP_EXTENT_SHARED;
    ret = emit_fiemap_extent(fi, cache, prealloc_start, disk_bytenr + extent_offset, prealloc_len, prealloc_flags);
  }
  return ret;
}

// fiemap_find_last_extent_offset: the end of the last file extent item that is not a hole (prealloc past
// i_size included), 0 when there is none. One lookup (btrfs_lookup_file_extent at (u64)-1, then
// btrfs_previous_item over hole items).
uint64_t fiemap_find_last_extent_offset(btrfs_fs_info& fs_info, btrfs_root& root, const btrfs_inode& inode) {
  sched::point(sched::L("btrfs_lookup_file_extent(fiemap ino {} offset (u64)-1)", inode.ino));
  uint64_t last = 0;
  for (const file_extent& fe : btrfs_lookup_file_extents(fs_info, root, inode.ino, 0, ~0ull))
    if (fe.fi.disk_bytenr != 0) last = fe.end();
  return last;
}

// The walk of extent_fiemap over [range_start, range_end) with the inode locked, up to FIEMAP_EXTENT_LAST
// on the cached extent: 0, BTRFS_FIEMAP_FLUSH_CACHE (978b63f7464a) or a negative errno. The cached extent
// is left for the caller to emit.
int extent_fiemap_walk(btrfs_fs_info& fs_info, btrfs_root& root, btrfs_inode& inode, fiemap_extent_info& fi,
                       fiemap_cache& cache, uint64_t range_start, uint64_t range_end) {
  const uint64_t sectorsize = fs_info.sectorsize;
  uint64_t prev_extent_end = range_start;
  bool stopped = false;
  const uint64_t last_extent_end = fiemap_find_last_extent_offset(fs_info, root, inode);
  cloned_leaf leaf;
  int ret = fiemap_search_slot(fs_info, root, inode, range_start, leaf);
  if (ret < 0) return ret;
  // ret > 0: no file extent item, but there may be delalloc up to i_size (check_eof_delalloc).
  while (ret == 0 && prev_extent_end < range_end) {
    const btrfs_item& item = leaf.item();
    if (!is_file_extent_of(item.key, inode.ino)) break;
    const btrfs_file_extent_item fi_item = std::get<btrfs_file_extent_item>(item.value);
    const uint64_t key_offset = item.key.offset;
    const uint64_t extent_end = key_offset + fi_item.num_bytes;  // btrfs_file_extent_end
    if (extent_end > range_start) {  // the first search may land on an item ending before the range
      if (prev_extent_end < key_offset) {  // an implicit hole (NO_HOLES)
        const uint64_t hole_end = std::min(key_offset, range_end) - 1;
        ret = fiemap_process_hole(fs_info, inode, fi, cache, 0, 0, 0, prev_extent_end, hole_end);
        if (ret < 0) return ret;
        if (ret > 0 || key_offset >= range_end) {
          stopped = true;
          break;
        }
      }
      FSRACE_MODEL_CHECK(fi_item.type != BTRFS_FILE_EXTENT_INLINE, "fiemap: inline extents are not modelled");
      const uint64_t disk_bytenr = fi_item.disk_bytenr;
      if (fi_item.type == BTRFS_FILE_EXTENT_PREALLOC) {
        ret = fiemap_process_hole(fs_info, inode, fi, cache, disk_bytenr, fi_item.offset, fi_item.generation,
                                  key_offset, extent_end - 1);
      } else if (disk_bytenr == 0) {  // an explicit hole
        ret = fiemap_process_hole(fs_info, inode, fi, cache, 0, 0, 0, key_offset, extent_end - 1);
      } else {
        uint32_t flags = 0;
        if (fi.fi_extents_max && btrfs_is_data_extent_shared(fs_info, inode, disk_bytenr, fi_item.generation) > 0)
          flags |= FIEMAP_EXTENT_SHARED;
        ret = emit_fiemap_extent(fi, cache, key_offset, disk_bytenr + fi_item.offset, extent_end - key_offset, flags);
      }
      if (ret < 0) return ret;
      if (ret > 0) {  // fiemap_fill_next_extent told us to stop
        stopped = true;
        break;
      }
      prev_extent_end = extent_end;
    }
    ret = fiemap_next_leaf_item(fs_info, root, inode, leaf);
    if (ret < 0) return ret;
  }
  // check_eof_delalloc
  if (!stopped && prev_extent_end < range_end) {
    ret = fiemap_process_hole(fs_info, inode, fi, cache, 0, 0, 0, prev_extent_end, range_end - 1);
    if (ret < 0) return ret;
    prev_extent_end = range_end;
  }
  if (cache.cached && cache.offset + cache.len >= last_extent_end) {
    const uint64_t i_size = inode.i_size;
    if (prev_extent_end < i_size) {
      const uint64_t lockstart = round_down(prev_extent_end, sectorsize);
      const uint64_t lockend = round_up(i_size, sectorsize);
      uint64_t ds = 0, de = 0;
      if (!cache.buffered) lock_extent(fs_info, inode, lockstart, lockend + 1);  // 978b63f7464a: locked already
      const bool delalloc = btrfs_find_delalloc_in_range(inode, prev_extent_end, i_size - 1, &ds, &de);
      if (!cache.buffered) unlock_extent(inode, lockstart, lockend + 1);
      if (!delalloc) cache.flags |= FIEMAP_EXTENT_LAST;
    } else {
      cache.flags |= FIEMAP_EXTENT_LAST;
    }
  }
  return 0;
}

// 6.1.192: the walk with only each delalloc lookup under the range lock. The leaves are clones, so delalloc
// flushed and its ordered extent completed after a clone was taken is in neither: a hole over data.
int extent_fiemap_unlocked_walk(btrfs_fs_info& fs_info, btrfs_root& root, btrfs_inode& inode,
                                fiemap_extent_info& fi, uint64_t start, uint64_t len) {
  fiemap_cache cache;
  const int ret = extent_fiemap_walk(fs_info, root, inode, fi, cache, round_down(start, fs_info.sectorsize),
                                     round_up(start + len, fs_info.sectorsize));
  if (ret < 0) return ret;
  return emit_last_fiemap_cache(fi, cache);
}

// 978b63f7464a: the whole range locked in the io tree for the walk (writeback and ordered extent
// completion of any part of it wait), the extents buffered and copied out with it unlocked; a full buffer
// unlocks, copies and restarts from the end of its last extent.
int extent_fiemap_locked_walk(btrfs_fs_info& fs_info, btrfs_root& root, btrfs_inode& inode,
                              fiemap_extent_info& fi, uint64_t start, uint64_t len) {
  fiemap_cache cache;
  cache.buffered = true;
  for (;;) {  // each restart resumes past at least one buffered extent
    const uint64_t range_start = round_down(start, fs_info.sectorsize);
    const uint64_t range_end = round_up(start + len, fs_info.sectorsize);
    lock_extent(fs_info, inode, range_start, range_end + 1);  // inclusive end, as the kernel passes it
    int ret = extent_fiemap_walk(fs_info, root, inode, fi, cache, range_start, range_end);
    unlock_extent(inode, range_start, range_end + 1);
    if (ret == BTRFS_FIEMAP_FLUSH_CACHE) {
      ret = flush_fiemap_cache(fi, cache);
      if (ret) return ret;
      len -= cache.next_search_offset - start;
      start = cache.next_search_offset;
      continue;
    }
    if (ret < 0) return ret;
    ret = flush_fiemap_cache(fi, cache);
    if (ret) return ret;
    return emit_last_fiemap_cache(fi, cache);
  }
}

// extent_fiemap: i_rwsem shared for the whole walk (no writes, truncates or fallocates meanwhile;
// writeback and ordered extent completion still run).
int extent_fiemap(btrfs_fs_info& fs_info, btrfs_inode& inode, fiemap_extent_info& fi, uint64_t start, uint64_t len) {
  btrfs_root* root = fs_info.get_fs_root(inode.root);
  if (!root) return -ENOENT;
  inode.i_rwsem.down_read();  // btrfs_inode_lock(BTRFS_ILOCK_SHARED)
  if (fi.observer) fi.observer->locked();
  const int ret = fs_info.fixes.has("978b63f7464a")
                      ? extent_fiemap_locked_walk(fs_info, *root, inode, fi, start, len)
                      : extent_fiemap_unlocked_walk(fs_info, *root, inode, fi, start, len);
  if (fi.observer) fi.observer->unlocking();
  inode.i_rwsem.up_read();
  return ret;
}

}  // namespace

bool btrfs_find_delalloc_in_range(const btrfs_inode& inode, uint64_t start, uint64_t end, uint64_t* delalloc_start,
                                  uint64_t* delalloc_end) {
  uint64_t cur_offset = round_down(start, PAGE_SIZE);
  uint64_t prev_delalloc_end = 0;
  bool ret = false;
  while (cur_offset <= end) {
    uint64_t ds = 0, de = 0;
    if (!find_delalloc_subrange(inode, cur_offset, end, &ds, &de)) break;
    if (prev_delalloc_end == 0) {  // the first subrange
      *delalloc_start = std::max(ds, start);
      *delalloc_end = de;
      ret = true;
    } else if (ds == prev_delalloc_end + 1) {
      *delalloc_end = de;
    } else {
      break;
    }
    prev_delalloc_end = de;
    cur_offset = de + 1;
  }
  return ret;
}

int btrfs_fiemap(btrfs_fs_info& fs_info, btrfs_inode& inode, fiemap_extent_info& fieinfo, uint64_t start,
                 uint64_t len) {
  // fiemap_prep (fs/ioctl.c) with no btrfs-specific flags supported.
  if (fieinfo.fi_flags & ~FIEMAP_FLAG_SYNC) return -EBADR;
  if (len == 0) return -EINVAL;
  if (start >= MAX_LFS_FILESIZE) return -EFBIG;
  if (len > MAX_LFS_FILESIZE || MAX_LFS_FILESIZE - len < start) len = MAX_LFS_FILESIZE - start;
  if (fieinfo.fi_flags & FIEMAP_FLAG_SYNC) {
    // filemap_write_and_wait, then btrfs_wait_ordered_range over the whole file: fiemap reads the file
    // extent items, which only completed ordered extents have inserted.
    int ret = filemap_write_and_wait_range(fs_info, inode, 0, ~0ull);
    if (ret) return ret;
    ret = btrfs_wait_ordered_range(fs_info, inode, 0, ~0ull);
    if (ret) return ret;
  }
  return extent_fiemap(fs_info, inode, fieinfo, start, len);
}

std::string fiemap_flags_text(uint32_t flags) {
  static constexpr std::pair<uint32_t, const char*> kNames[] = {
      {FIEMAP_EXTENT_LAST, "last"},         {FIEMAP_EXTENT_UNKNOWN, "unknown"},
      {FIEMAP_EXTENT_DELALLOC, "delalloc"}, {FIEMAP_EXTENT_ENCODED, "encoded"},
      {FIEMAP_EXTENT_NOT_ALIGNED, "not_aligned"}, {FIEMAP_EXTENT_DATA_INLINE, "inline"},
      {FIEMAP_EXTENT_UNWRITTEN, "unwritten"}, {FIEMAP_EXTENT_SHARED, "shared"}};
  std::string out;
  for (const auto& [bit, name] : kNames)
    if (flags & bit) out += (out.empty() ? "" : ",") + std::string(name);
  return out;
}

std::string describe(const fiemap_extent& fe) {
  std::string s = fmt::format("{}+{}", fe.fe_logical, fe.fe_length);
  if (fe.fe_physical != 0) s += fmt::format("@{}", fe.fe_physical);  // none for delalloc (and unstated)
  const std::string flags = fiemap_flags_text(fe.fe_flags);
  return flags.empty() ? s : s + " " + flags;
}

}  // namespace fsrace::model
