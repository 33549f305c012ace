// Extent buffers of tree blocks the tree code allocates and frees (fs/btrfs/extent-tree.c
// btrfs_init_new_buffer, disk-io.c btrfs_clean_tree_block, btrfs_mark_buffer_dirty). The model makes a
// buffer on demand (eb_materialize.cpp): these helpers act on the buffer a block has, and create none
// where nothing could observe it.
#include "model/extent_io/eb_internal.hpp"
#include "model/extent_io/eb_materialize.hpp"
#include "model/extent_io/extent_io.hpp"
#include "model/fs_info.hpp"
#include "scheduler/finding.hpp"

namespace fsrace::model {

extent_buffer_ptr cached_extent_buffer(btrfs_fs_info& fs_info, uint64_t start) {
  auto it = fs_info.eb_tree.find(start >> PAGE_SHIFT);
  if (it == fs_info.eb_tree.end() || it->second->start != start) return nullptr;
  return it->second;
}

extent_buffer_ptr btrfs_path_extent_buffer(btrfs_fs_info& fs_info, uint64_t start) {
  extent_buffer_ptr eb = cached_extent_buffer(fs_info, start);
  if (!eb) eb = materialize_dirty_extent_buffer(fs_info, start);
  // A dying buffer (refs 0, not yet out of eb_tree) cannot be the one a path searched: the path's
  // reference would have kept it alive. Nothing to hold then.
  if (!eb || eb->refs == 0) return nullptr;
  eb_check_alive(*eb, "btrfs_path_extent_buffer");
  ++eb->refs;
  return eb;
}

void btrfs_clean_tree_block(btrfs_fs_info& fs_info, extent_buffer& eb) {
  eb_check_alive(eb, "btrfs_clean_tree_block");
  // test_and_clear_bit(EXTENT_BUFFER_DIRTY) then clear_extent_buffer_dirty: the pages are clean too
  // (dirty_metadata_bytes is not modelled).
  if (!eb.test_and_clear_bit(EXTENT_BUFFER_DIRTY)) return;
  for (uint64_t index : eb.pages) btree_page_at(fs_info, index).dirty = false;
}

void btrfs_mark_buffer_dirty(btrfs_fs_info& fs_info, extent_buffer& eb) {
  eb_check_alive(eb, "btrfs_mark_buffer_dirty");
  // set_extent_buffer_dirty: the pages first, then the bit (one step: no lock-free reader between).
  for (uint64_t index : eb.pages) btree_page_at(fs_info, index).dirty = true;
  eb.set_bit(EXTENT_BUFFER_DIRTY);
}

extent_buffer_ptr btrfs_init_new_buffer(btrfs_fs_info& fs_info, uint64_t start, int* err) {
  *err = 0;
  // The kernel's alloc_extent_buffer would build a buffer when none is cached; the model builds it on
  // the first lookup (it is dirty from here on), so only a cached buffer is taken here.
  if (!cached_extent_buffer(fs_info, start)) return nullptr;
  extent_buffer_ptr buf = alloc_extent_buffer(fs_info, start, err);  // btrfs_find_create_tree_block
  if (!buf) return nullptr;
  // __btrfs_tree_lock is not modelled (one writer lock per tree); btrfs_clean_tree_block sees the
  // header generation just set to the running transaction's.
  btrfs_clean_tree_block(fs_info, *buf);
  buf->clear_bit(EXTENT_BUFFER_STALE);
  set_extent_buffer_uptodate(fs_info, *buf);
  // The caller's btrfs_mark_buffer_dirty (__btrfs_cow_block, split_leaf, insert_new_root) of the
  // block it fills.
  btrfs_mark_buffer_dirty(fs_info, *buf);
  return buf;
}

}  // namespace fsrace::model
