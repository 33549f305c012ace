#include "model/extent_io/end_io.hpp"

#include <cerrno>

#include <fmt/format.h>

#include "model/bio.hpp"
#include "model/extent_io/eb_footprints.hpp"
#include "model/extent_io/eb_internal.hpp"
#include "model/extent_io/extent_io.hpp"
#include "model/fs_info.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

// Which copy the bio read: its mirror_num, or for mirror 0 the stripe btrfs_map_block chose.
int bio_mirror(btrfs_fs_info& fs_info, const btrfs_bio& bio) {
  if (bio.mirror_num > 0 || bio.stripes.empty()) return bio.mirror_num;
  map_lookup_ptr map = btrfs_get_chunk_map(fs_info, bio.logical);
  if (!map) return 0;
  for (int mirror = 1; mirror <= map_num_copies(*map); ++mirror) {
    const stripe_piece p = map_stripe_piece(*map, bio.logical - map->start, mirror);
    if (fs_info.dev(map->stripes[p.index].dev).devid == bio.stripes[0].devid && p.physical == bio.stripes[0].physical) return mirror;
  }
  return 0;
}

// The tree block image the transfer read (the device holds block images, not serialised bytes).
tree_block_ptr bio_tree_block(btrfs_fs_info& fs_info, const btrfs_bio& bio) {
  if (bio.status != 0 || bio.stripes.empty()) return nullptr;
  btrfs_device* dev = fs_info.device(bio.stripes[0].devid);
  return dev ? dev->bdev.read_tree_block(bio.stripes[0].physical) : nullptr;
}

// btrfs_check_extent_buffer's checks of what was read, as btree_readpage_end_io_hook runs them.
int verify_read_tree_block(btrfs_fs_info& fs_info, const extent_buffer& eb, const tree_block_ptr& found) {
  const uint64_t found_start = found ? found->header.bytenr : 0;
  if (found_start != eb.start) {
    ebfp::log(fs_info, fmt::format("BTRFS error: bad tree block start, want {} have {}", eb.start, found_start));
    return -EIO;
  }
  if (found->header.level >= BTRFS_MAX_LEVEL) {
    ebfp::log(fs_info, fmt::format("BTRFS error: bad tree block level {} on {}", found->header.level, eb.start));
    return -EIO;
  }
  const uint32_t csum = found->content_csum();
  if (found->header.csum != csum) {
    ebfp::log(fs_info, fmt::format("BTRFS warning: checksum verify failed on {} wanted {:x} found {:x} level {}", eb.start,
                            found->header.csum, csum, found->header.level));
    return -EUCLEAN;
  }
  return 0;
}

int btree_readpage_end_io_hook(btrfs_fs_info& fs_info, btree_page& p, const tree_block_ptr& found, int mirror) {
  if (p.private_eb == 0) return 0;
  extent_buffer_ptr eb = eb_from_page_private(fs_info, p);
  // The pending IO may be the only thing keeping the buffer in memory: hold a reference for the
  // checks (atomic_inc refs), then count this page done (atomic_dec_and_test io_pages). One step.
  sched::point(sched::L("btree_readpage_end_io_hook(eb {} page {})", eb->start, p.index));
  // Complete: the buffer's refs, io_pages, read_mirror, bflags and content (written); the image read is
  // the bio's (immutable); set/clear_extent_buffer_uptodate, free_extent_buffer, ebfp::log and
  // eb_check_alive open their own scopes.
  sched::FootprintScope scope(ebfp::buffer(eb->start, true));
  eb_check_alive(*eb, "btree_readpage_end_io_hook");
  ++eb->refs;
  const bool reads_done = --eb->io_pages == 0;
  int ret = 0;
  if (reads_done) {
    eb->read_mirror = mirror;
    ret = eb->test_bit(EXTENT_BUFFER_READ_ERR) ? -EIO : verify_read_tree_block(fs_info, *eb, found);
    if (ret == 0) {
      eb->block = found;
      set_extent_buffer_uptodate(fs_info, *eb);
    }
    eb->clear_bit(EXTENT_BUFFER_READAHEAD);  // btree_readahead_hook: reada.c is not modelled
  }
  if (ret != 0) {
    ++eb->io_pages;  // the read error path below decrements it again
    clear_extent_buffer_uptodate(fs_info, *eb);
  }
  free_extent_buffer(fs_info, eb);
  return ret;
}

// The btree inode's read error path of end_bio_extent_readpage.
void btree_io_failed_hook(btrfs_fs_info& fs_info, btree_page& p, int failed_mirror) {
  if (p.private_eb == 0) return;
  extent_buffer_ptr eb = eb_from_page_private(fs_info, p);
  sched::point(sched::L("atomic_dec(eb {} io_pages) read error", eb->start));
  sched::FootprintScope scope(ebfp::buffer(eb->start, true));  // complete: the buffer's bflags, read_mirror, io_pages
  eb_check_alive(*eb, "btree_io_failed_hook");
  eb->set_bit(EXTENT_BUFFER_READ_ERR);
  eb->read_mirror = failed_mirror;
  --eb->io_pages;
  eb->clear_bit(EXTENT_BUFFER_READAHEAD);
}

}  // namespace

void end_bio_extent_readpage(btrfs_fs_info& fs_info, btrfs_bio& bio, const std::vector<uint64_t>& page_indexes) {
  // Complete for the code run while it is innermost: the chunk mapping and the devices (bio_mirror:
  // btrfs_get_chunk_map, fs_info.dev; bio_tree_block: fs_info.device), the contents read (the bio's
  // stripes), each page's PG_locked and private (read; eb_from_page_private opens its own scope, the
  // hooks theirs after their points, page writes in the nested scope below). The bio is this fiber's
  // since submission.
  sched::Footprint claim = sched::declared()
                               .reads_from(fp::chunk_map())
                               .reads_from(fp::replace())
                               .touch_kind(sched::ObjectKind::Device, false);
  for (const auto& st : bio.stripes) fp::touch_device_data(claim, st.devid, st.physical, fs_info.nodesize, false);
  for (uint64_t index : page_indexes) ebfp::page(claim, index, false);
  sched::FootprintScope scope(claim);
  const int mirror = bio_mirror(fs_info, bio);
  const tree_block_ptr found = bio_tree_block(fs_info, bio);
  for (uint64_t index : page_indexes) {
    btree_page& p = btree_page_at(fs_info, index);  // locked for the read: it cannot have left the cache
    FSRACE_MODEL_CHECK(p.locked, "btree page {} under read IO is not locked", index);
    bool uptodate = bio.status == 0;
    if (uptodate && btree_readpage_end_io_hook(fs_info, p, found, mirror) != 0) uptodate = false;
    if (!uptodate) btree_io_failed_hook(fs_info, p, mirror);
    {
      sched::Footprint page_write = sched::declared();
      sched::FootprintScope write(ebfp::page(page_write, index, true));  // complete: PG_uptodate, PG_error
      p.uptodate = uptodate;
      if (!uptodate) p.error = true;
    }
    unlock_page(p);
  }
}

}  // namespace fsrace::model
