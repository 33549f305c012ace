// scrub_extent: reads one extent from the scrubbed device, verifies it (data: the checksums in the csum
// tree's commit root; tree blocks: header bytenr, generation and checksum), repairs bad copies from a
// good mirror (scrub_handle_errored_block), and in replace mode writes it to the target device
// (scrub_write_block_to_dev_replace). Bios are synchronous here: a read and a write are one step each.
#include <cerrno>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "model/bio.hpp"
#include "model/data/csum.hpp"
#include "model/fs_info.hpp"
#include "model/maint/scrub_internal.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

bool data_sector_ok(std::span<const uint8_t> sector, uint32_t csum) { return btrfs_csum_sector(sector) == csum; }

bool tree_block_ok(const tree_block_ptr& b, uint64_t logical, uint64_t generation) {
  return b && b->header.bytenr == logical && b->header.generation == generation && b->header.csum == b->content_csum();
}

// The physical location of mirror `mirror_num` of `logical` (btrfs_map_block for a read of that mirror).
bool mirror_location(btrfs_fs_info& fs_info, uint64_t logical, uint64_t len, int mirror_num, btrfs_bio_stripe& out) {
  std::vector<btrfs_bio_stripe> stripes;
  if (btrfs_map_block(fs_info, map_op::read, logical, len, mirror_num, stripes) != 0 || stripes.empty()) return false;
  out = stripes[0];
  return true;
}

// sctx->wr_tgtdev as scrub_add_page_to_wr_bio uses it (sbio->dev = sctx->wr_tgtdev). No kernel check:
// a NULL one (scrub_setup_ctx's WARN_ON fired) is a NULL pointer dereference in bio_set_dev, a freed
// one the use-after-free KASAN reports.
btrfs_device& wr_tgtdev(scrub_ctx& sctx, uint64_t physical) {
  btrfs_device* tgt = sctx.wr_tgtdev.get();
  FSRACE_BUG_ON(!tgt, "scrub_add_page_to_wr_bio: NULL pointer dereference of sctx->wr_tgtdev (physical {})", physical);
  FSRACE_BUG_ON(tgt->freed, "scrub_add_page_to_wr_bio: use-after-free of the replace target device "
                "(sctx->wr_tgtdev, devid {}, freed by btrfs_destroy_dev_replace_tgtdev) writing physical {}",
                tgt->devid, physical);
  return *tgt;
}

// scrub_write_block_to_dev_replace for data: the copy goes to the same physical offset on the target.
void write_to_dev_replace(scrub_ctx& sctx, uint64_t physical, const std::vector<uint8_t>& bytes) {
  btrfs_fs_info& fs_info = sctx.fs_info;
  sched::point(sched::L("scrub_write_block_to_dev_replace(physical {} len {})", physical, bytes.size()));
  // The target's state (freed, missing, devid: every Device, read), dev_replace's error counter
  // (Replace), the target's contents at [physical, + len) (written: DeviceData of its devid now).
  sched::Footprint claim = scrub_claim();
  if (sctx.wr_tgtdev) fp::touch_device_data(claim, sctx.wr_tgtdev->devid, physical, bytes.size(), true);
  sched::FootprintScope scope(claim);
  btrfs_device& tgt = wr_tgtdev(sctx, physical);
  if (tgt.missing) {
    fs_info.dev_replace.num_write_errors++;
    return;
  }
  tgt.bdev.write(physical, bytes);
}

// scrub_handle_errored_block for one data sector: the first other mirror whose copy verifies repairs it.
bool repair_data_sector(scrub_ctx& sctx, const scrub_extent_ref& ext, uint64_t logical, uint32_t csum,
                        std::span<uint8_t> sector) {
  btrfs_fs_info& fs_info = sctx.fs_info;
  const int copies = btrfs_num_copies(fs_info, logical);
  std::vector<uint8_t> other(sector.size());
  for (int mirror = 1; mirror <= copies; ++mirror) {
    if (mirror == ext.mirror_num) continue;
    btrfs_bio_stripe loc;
    if (!mirror_location(fs_info, logical, sector.size(), mirror, loc)) continue;
    sched::point(sched::L("scrub_recheck_block(logical {} mirror {})", logical, uint64_t(mirror)));
    if (btrfs_dev_read(fs_info, loc, other.size(), other.data()) != 0 || !data_sector_ok(other, csum)) continue;
    std::copy(other.begin(), other.end(), sector.begin());
    if (!sctx.is_dev_replace && !sctx.readonly) {
      sched::point(sched::L("scrub_repair_page(logical {} devid {})", logical, sctx.devid));
      const uint64_t physical = ext.physical + (logical - ext.logical);
      if (btrfs_dev_write(fs_info, {sctx.devid, physical}, other.size(), other.data()) != 0) return false;
    }
    return true;
  }
  return false;
}

int scrub_data_extent(scrub_ctx& sctx, const scrub_extent_ref& ext) {
  btrfs_fs_info& fs_info = sctx.fs_info;
  const uint64_t sector = fs_info.sectorsize;
  std::map<uint64_t, uint32_t> csums;
  int ret = scrub_lookup_csums(fs_info, ext.logical, ext.logical + ext.len, csums);  // its own scope
  if (ret < 0) return ret;
  sched::point(sched::L("scrub_pages(data logical {} len {})", ext.logical, ext.len));
  // scrub_claim (the device's state, the stats) and the scrubbed copy's contents, read; a bad sector
  // (the log, a repair from another mirror) opens an undeclared scope; write_to_dev_replace its own.
  sched::Footprint claim = scrub_claim();
  fp::touch_device_data(claim, sctx.devid, ext.physical, ext.len, false);
  sched::FootprintScope scope(claim);
  std::vector<uint8_t> buf(ext.len);
  const bool io_error = btrfs_dev_read(fs_info, {sctx.devid, ext.physical}, ext.len, buf.data()) != 0;
  sctx.stat.data_extents_scrubbed++;
  sctx.stat.data_bytes_scrubbed += ext.len;
  for (uint64_t off = 0; off < ext.len; off += sector) {
    const uint64_t logical = ext.logical + off;
    std::span<uint8_t> s(buf.data() + off, sector);
    auto it = csums.find(logical);
    if (it == csums.end()) {
      sctx.stat.no_csum++;  // nodatasum or prealloc data: nothing to verify against
      continue;
    }
    if (!io_error && data_sector_ok(s, it->second)) continue;
    sched::FootprintScope bad(sched::Footprint{});  // the log, other mirrors, a repair: not audited
    if (io_error) sctx.stat.read_errors++; else sctx.stat.csum_errors++;
    fs_info.log(fmt::format("BTRFS warning: checksum error at logical {} on dev devid {}, mirror {}", logical,
                            sctx.devid, ext.mirror_num));
    if (repair_data_sector(sctx, ext, logical, it->second, s)) {
      sctx.stat.corrected_errors++;
      fs_info.log(fmt::format("BTRFS error: fixed up error at logical {} on dev devid {}", logical, sctx.devid));
    } else {
      sctx.stat.uncorrectable_errors++;
      if (sctx.is_dev_replace) fs_info.dev_replace.num_uncorrectable_read_errors++;
      fs_info.log(fmt::format("BTRFS error: unable to fixup (regular) error at logical {} on dev devid {}", logical,
                              sctx.devid));
    }
  }
  if (sctx.is_dev_replace) write_to_dev_replace(sctx, ext.physical, buf);
  return 0;
}

int scrub_tree_block(scrub_ctx& sctx, const scrub_extent_ref& ext) {
  btrfs_fs_info& fs_info = sctx.fs_info;
  sched::point(sched::L("scrub_pages(tree block {})", ext.logical));
  // scrub_claim and the block's copy on the scrubbed device, read (tree_block_ok reads only the block
  // read, which the device holds); a bad block opens an undeclared scope; the copy to the target its own.
  sched::Footprint claim = scrub_claim();
  fp::touch_device_data(claim, sctx.devid, ext.physical, ext.len, false);
  std::optional<sched::FootprintScope> scope;
  scope.emplace(claim);
  btrfs_device* dev = fs_info.device(sctx.devid);
  const bool io_error = !dev || dev->missing;
  tree_block_ptr block = io_error ? nullptr : dev->bdev.read_tree_block(ext.physical);
  sctx.stat.tree_extents_scrubbed++;
  sctx.stat.tree_bytes_scrubbed += ext.len;
  std::optional<sched::FootprintScope> bad;
  if (!tree_block_ok(block, ext.logical, ext.generation)) {
    bad.emplace(sched::Footprint{});  // the log, other mirrors, a repair: not audited
    // scrub_checksum_tree_block: a wrong bytenr or generation is a header (verify) error, else the csum.
    if (io_error) sctx.stat.read_errors++;
    else if (!block || block->header.bytenr != ext.logical || block->header.generation != ext.generation)
      sctx.stat.verify_errors++;
    else sctx.stat.csum_errors++;
    fs_info.log(fmt::format("BTRFS warning: checksum/header error at logical {} on dev devid {}, mirror {}",
                            ext.logical, sctx.devid, ext.mirror_num));
    bool fixed = false;
    const int copies = btrfs_num_copies(fs_info, ext.logical);
    for (int mirror = 1; mirror <= copies && !fixed; ++mirror) {
      btrfs_bio_stripe loc;
      if (mirror == ext.mirror_num || !mirror_location(fs_info, ext.logical, ext.len, mirror, loc)) continue;
      sched::point(sched::L("scrub_recheck_block(tree block {} mirror {})", ext.logical, uint64_t(mirror)));
      btrfs_device* other = fs_info.device(loc.devid);
      tree_block_ptr good = other && !other->missing ? other->bdev.read_tree_block(loc.physical) : nullptr;
      if (!tree_block_ok(good, ext.logical, ext.generation)) continue;
      block = good;
      fixed = true;
      if (!sctx.is_dev_replace && !sctx.readonly && !io_error) {
        sched::point(sched::L("scrub_repair_page(tree block {} devid {})", ext.logical, sctx.devid));
        dev->bdev.write_tree_block(ext.physical, good, fs_info.nodesize);
      }
    }
    if (fixed) {
      sctx.stat.corrected_errors++;
      fs_info.log(fmt::format("BTRFS error: fixed up error at logical {} on dev devid {}", ext.logical, sctx.devid));
    } else {
      sctx.stat.uncorrectable_errors++;
      if (sctx.is_dev_replace) fs_info.dev_replace.num_uncorrectable_read_errors++;
      fs_info.log(fmt::format("BTRFS error: unable to fixup (regular) error at logical {} on dev devid {}",
                              ext.logical, sctx.devid));
    }
  }
  if (!sctx.is_dev_replace) return 0;
  if (block) {
    sched::point(sched::L("scrub_write_block_to_dev_replace(tree block {})", ext.logical));
    // As write_to_dev_replace, the block's range on the target written.
    sched::Footprint wclaim = scrub_claim();
    if (sctx.wr_tgtdev) fp::touch_device_data(wclaim, sctx.wr_tgtdev->devid, ext.physical, fs_info.nodesize, true);
    sched::FootprintScope write(wclaim);
    btrfs_device& tgt = wr_tgtdev(sctx, ext.physical);
    if (tgt.missing) fs_info.dev_replace.num_write_errors++;
    else tgt.bdev.write_tree_block(ext.physical, block, fs_info.nodesize);
    return 0;
  }
  // No verifiable copy anywhere: the target gets what the source holds.
  std::vector<uint8_t> raw(ext.len);
  if (!io_error) dev->bdev.read(ext.physical, raw);
  write_to_dev_replace(sctx, ext.physical, raw);
  return 0;
}

}  // namespace

int scrub_extent(scrub_ctx& sctx, const scrub_extent_ref& ext) {
  if (ext.flags & BTRFS_EXTENT_FLAG_DATA) return scrub_data_extent(sctx, ext);
  return scrub_tree_block(sctx, ext);
}

}  // namespace fsrace::model
