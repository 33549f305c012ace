// Tree block reads on extent buffers (fs/btrfs/disk-io.c): readahead_tree_block, the synchronous
// read with its checks and mirror retries, and read_tree_block.
#include <cerrno>

#include <fmt/format.h>

#include "model/extent_io/eb_footprints.hpp"
#include "model/extent_io/eb_internal.hpp"
#include "model/extent_io/extent_io.hpp"
#include "model/fs_info.hpp"
#include "model/volumes.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

// verify_parent_transid: 0 when the block has the generation its parent pointer expects.
int verify_parent_transid(btrfs_fs_info& fs_info, extent_buffer& eb, uint64_t parent_transid) {
  const uint64_t found = eb.block ? eb.block->header.generation : 0;
  if (!parent_transid || found == parent_transid) return 0;
  ebfp::log(fs_info, fmt::format("BTRFS error: parent transid verify failed on {} wanted {} found {}", eb.start,
                          parent_transid, found));
  // A buffer under IO may hold newer content than what is on disk: keep it uptodate then.
  if (!extent_buffer_under_io(eb)) clear_extent_buffer_uptodate(fs_info, eb);
  return 1;
}

int btrfs_verify_level_key(btrfs_fs_info& fs_info, const extent_buffer& eb, int level) {
  const int found_level = eb.block ? eb.block->header.level : -1;
  if (found_level == level) return 0;
  ebfp::log(fs_info, fmt::format("BTRFS error: tree level mismatch detected, bytenr={} level expected={} has={}", eb.start,
                          level, found_level));
  return -EIO;
}

}  // namespace

extent_buffer_ptr btrfs_find_create_tree_block(btrfs_fs_info& fs_info, uint64_t bytenr, int* err) {
  return alloc_extent_buffer(fs_info, bytenr, err);
}

void readahead_tree_block(btrfs_fs_info& fs_info, uint64_t bytenr) {
  // Its own code touches nothing shared (the buffer pointer is ours); alloc_extent_buffer,
  // read_extent_buffer_pages and free_extent_buffer(_stale) open their own scopes.
  sched::FootprintScope scope(sched::declared());
  int err = 0;
  extent_buffer_ptr buf = btrfs_find_create_tree_block(fs_info, bytenr, &err);
  if (!buf) return;
  const int ret = read_extent_buffer_pages(fs_info, *buf, WAIT_NONE, 0);
  if (ret < 0) free_extent_buffer_stale(fs_info, buf); else free_extent_buffer(fs_info, buf);
}

int btree_read_extent_buffer_pages(btrfs_fs_info& fs_info, extent_buffer& eb, uint64_t parent_transid, int level) {
  // Complete: the buffer's bflags, content and read_mirror (CORRUPT cleared: written), btrfs_num_copies
  // (the chunk mapping, read); verify_parent_transid and btrfs_verify_level_key read the buffer (their
  // log lines and clear_extent_buffer_uptodate open their own scopes); read_extent_buffer_pages opens its own.
  sched::FootprintScope scope(ebfp::buffer(eb.start, true).reads_from(fp::chunk_map()));
  int failed_mirror = 0, mirror_num = 0, ret = 0;
  const int num_copies = btrfs_num_copies(fs_info, eb.start);
  for (int attempt = 0; attempt <= num_copies; ++attempt) {  // every mirror once, at most
    eb.clear_bit(EXTENT_BUFFER_CORRUPT);
    ret = read_extent_buffer_pages(fs_info, eb, WAIT_COMPLETE, mirror_num);
    if (ret == 0) {
      if (verify_parent_transid(fs_info, eb, parent_transid)) ret = -EIO;
      else if (btrfs_verify_level_key(fs_info, eb, level)) ret = -EUCLEAN;
      else break;
    }
    if (num_copies == 1) break;
    if (!failed_mirror) failed_mirror = eb.read_mirror;
    ++mirror_num;
    if (mirror_num == failed_mirror) ++mirror_num;
    if (mirror_num > num_copies) break;
  }
  return ret;  // btrfs_repair_eb_io_failure of the bad mirror is not modelled
}

extent_buffer_ptr read_tree_block_eb(btrfs_fs_info& fs_info, uint64_t bytenr, uint64_t parent_transid, int level,
                                     int* err) {
  // Its own code touches nothing shared (the buffer pointer and *err are ours); the callees open their scopes.
  sched::FootprintScope scope(sched::declared());
  extent_buffer_ptr buf = btrfs_find_create_tree_block(fs_info, bytenr, err);
  if (!buf) return nullptr;
  const int ret = btree_read_extent_buffer_pages(fs_info, *buf, parent_transid, level);
  if (ret) {
    free_extent_buffer_stale(fs_info, buf);
    *err = ret;
    return nullptr;
  }
  return buf;
}

int evict_tree_block(btrfs_fs_info& fs_info, uint64_t bytenr) {
  // A block dirty in the running transaction stays in memory until written.
  if (fs_info.dirty_tree_blocks.contains(bytenr)) return -EBUSY;
  const uint64_t first = bytenr >> PAGE_SHIFT, last = (bytenr + fs_info.nodesize - 1) >> PAGE_SHIFT;
  for (uint64_t index = first; index <= last; ++index) shrink_btree_page(fs_info, index);
  for (uint64_t index = first; index <= last; ++index)
    if (fs_info.btree_pages.contains(index)) return -EBUSY;
  return 0;
}

}  // namespace fsrace::model
