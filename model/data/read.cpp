#include "model/data/read.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "model/bio.hpp"
#include "model/data/csum.hpp"
#include "model/data/file_extent.hpp"
#include "model/data/file_item.hpp"
#include "model/fs_info.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

constexpr uint64_t kSector = SECTORSIZE;

// Reads one copy of [logical, logical + len) without bios or scheduling points (checkers). Returns
// 0, -EINVAL (no chunk maps it) or -EIO (no such mirror / device missing).
int read_copy_direct(const btrfs_fs_info& fs_info, uint64_t logical, uint64_t len, int mirror, uint8_t* out) {
  auto it = fs_info.mapping_tree.upper_bound(logical);
  if (it == fs_info.mapping_tree.begin()) return -EINVAL;
  const map_lookup& map = *std::prev(it)->second;
  if (logical < map.start || logical + len > map.start + map.length) return -EINVAL;
  if (mirror < 1 || mirror > map_num_copies(map)) return -EIO;
  for (uint64_t done = 0; done < len;) {  // one piece per stripe the range crosses (RAID10)
    const stripe_piece p = map_stripe_piece(map, logical - map.start + done, mirror);
    const uint64_t n = std::min(len - done, p.len);
    const btrfs_device& d = fs_info.dev(map.stripes[p.index].dev);
    auto dev = fs_info.devices.find(d.devid);
    if (dev == fs_info.devices.end() || dev->second.get() != &d || d.missing) return -EIO;
    dev->second->bdev.read(p.physical, {out + done, n});
    done += n;
  }
  return 0;
}

int num_copies_direct(const btrfs_fs_info& fs_info, uint64_t logical) {
  auto it = fs_info.mapping_tree.upper_bound(logical);
  if (it == fs_info.mapping_tree.begin()) return 0;
  return map_num_copies(*std::prev(it)->second);
}

bool sector_ok(std::span<const uint8_t> data, const std::map<uint64_t, uint32_t>& csums, uint64_t logical,
               bool nodatasum) {
  if (nodatasum) return true;
  auto it = csums.find(logical);
  // A missing checksum reads as 0 (btrfs_lookup_bio_sums: "no csum found"): verification fails.
  const uint32_t want = it == csums.end() ? 0 : it->second;
  return btrfs_csum_sector(data) == want;
}

// Verifies each sector of `out` (read from `logical`; io_err: the read's status) and falls back to the
// other mirrors for bad ones, repairing the bad copies when in a fiber.
data_read_result check_sectors(btrfs_fs_info& fs_info, const btrfs_inode& inode, uint64_t file_pos, uint64_t logical,
                               std::span<uint8_t> out, const std::map<uint64_t, uint32_t>& csums, int copies, int err,
                               bool in_fiber) {
  data_read_result res;
  const uint64_t len = out.size();
  const bool nodatasum = inode.nodatasum();
  for (uint64_t off = 0; off < len; off += kSector) {
    auto sector = out.subspan(off, kSector);
    if (!err && sector_ok(sector, csums, logical + off, nodatasum)) continue;
    if (!err) {
      fs_info.data_stats.csum_errors++;
      auto it = csums.find(logical + off);
      fs_info.log(fmt::format("BTRFS warning: csum failed ino {} off {} csum {:#010x} expected csum {:#010x}",
                              inode.ino, file_pos + off, btrfs_csum_sector(sector),
                              it == csums.end() ? 0u : it->second));
    }
    // Try every mirror for this sector; the first good one wins and the bad ones are rewritten.
    std::vector<int> bad;
    bool repaired = false;
    std::vector<uint8_t> copy(kSector);
    for (int m = 1; m <= copies && !repaired; m++) {
      int r;
      if (in_fiber) {
        std::vector<uint8_t> buf;
        r = btrfs_read_sync(fs_info, logical + off, kSector, m, buf);
        if (!r) std::copy(buf.begin(), buf.end(), copy.begin());
      } else {
        r = read_copy_direct(fs_info, logical + off, kSector, m, copy.data());
      }
      if (!r && sector_ok(copy, csums, logical + off, nodatasum)) {
        std::copy(copy.begin(), copy.end(), sector.begin());
        repaired = true;
      } else if (!r) {
        bad.push_back(m);
      }
    }
    if (!repaired) {
      res.err = -EIO;
      res.bad_offset = file_pos + off;
      res.detail = err ? fmt::format("read of logical {} failed ({}) on every mirror", logical + off, err)
                       : fmt::format("csum failed at logical {} on all {} mirrors", logical + off, copies);
      return res;
    }
    if (in_fiber) {  // repair_io_failure: write the good copy over each bad one
      for (int m : bad) {
        std::vector<btrfs_bio_stripe> stripes;
        if (btrfs_map_block(fs_info, map_op::read, logical + off, kSector, m, stripes) == 0 && !stripes.empty()) {
          sched::point(sched::L("repair_io_failure(logical {} mirror {})", logical + off, uint64_t(m)));
          btrfs_dev_write(fs_info, stripes[0], kSector, sector.data());
          fs_info.data_stats.read_repairs++;
          fs_info.log(fmt::format("BTRFS info: read error corrected: ino {} off {} (logical {} mirror {})", inode.ino,
                                  file_pos + off, logical + off, m));
        }
      }
    }
  }
  return res;
}

// Reads [logical, logical + len) of data into out, verifying each sector and falling back to the other
// mirrors for bad ones (repairing the bad copies when in a fiber).
data_read_result read_logical(btrfs_fs_info& fs_info, const btrfs_inode& inode, uint64_t file_pos, uint64_t logical,
                              std::span<uint8_t> out, bool in_fiber) {
  data_read_result res;
  const uint64_t len = out.size();
  std::map<uint64_t, uint32_t> csums;
  if (in_fiber) csums = btrfs_lookup_bio_sums(fs_info, inode, logical, len);
  else if (!inode.nodatasum()) csums = btrfs_lookup_csums_range(fs_info, logical, logical + len);

  int copies = 0;
  int err = 0;
  if (in_fiber) {
    btrfs_check_data_bio_mapped(fs_info, inode, file_pos, logical, len);
    copies = btrfs_num_copies(fs_info, logical);
    std::vector<uint8_t> buf;
    err = btrfs_read_sync(fs_info, logical, len, 0, buf);
    if (!err) std::copy(buf.begin(), buf.end(), out.begin());
  } else {
    copies = num_copies_direct(fs_info, logical);
    if (copies == 0) {
      res.err = -EINVAL;
      res.bad_offset = file_pos;
      res.detail = fmt::format("unable to find logical {} len {}", logical, len);
      return res;
    }
    err = -EIO;
    for (int m = 1; m <= copies && err; m++) err = read_copy_direct(fs_info, logical, len, m, out.data());
  }
  return check_sectors(fs_info, inode, file_pos, logical, out, csums, copies, err, in_fiber);
}

}  // namespace

std::map<uint64_t, uint32_t> btrfs_lookup_bio_sums(btrfs_fs_info& fs_info, const btrfs_inode& inode, uint64_t logical,
                                                   uint64_t len) {
  sched::point(sched::L("btrfs_lookup_bio_sums(logical {} len {})", logical, len));
  if (inode.nodatasum()) return {};
  return btrfs_lookup_csums_range(fs_info, logical, logical + len);
}

void btrfs_check_data_bio_mapped(btrfs_fs_info& fs_info, const btrfs_inode& inode, uint64_t file_pos, uint64_t logical,
                                 uint64_t len) {
  // btrfs_merge_bio_hook maps the bio before it is built: a logical address no chunk maps is a BUG.
  if (btrfs_get_chunk_map(fs_info, logical)) return;
  fs_info.log(fmt::format("BTRFS critical: unable to find logical {} len {}", logical, len));
  FSRACE_BUG_ON(true, "unable to find logical {} len {} (ino {} offset {}), kernel BUG at btrfs_merge_bio_hook",
                logical, len, inode.ino, file_pos);
}

data_read_result btrfs_check_read_bio(btrfs_fs_info& fs_info, const btrfs_inode& inode, uint64_t file_pos,
                                      uint64_t logical, std::span<uint8_t> data,
                                      const std::map<uint64_t, uint32_t>& csums, int status) {
  return check_sectors(fs_info, inode, file_pos, logical, data, csums, btrfs_num_copies(fs_info, logical), status,
                       true);
}

data_mapping btrfs_get_extent(btrfs_fs_info& fs_info, const btrfs_inode& inode, uint64_t offset) {
  data_mapping m;
  auto em = inode.extent_tree.upper_bound(offset);
  if (em != inode.extent_tree.begin() && std::prev(em)->second.end() > offset) {
    const extent_map& e = std::prev(em)->second;
    return {data_mapping::pinned, e.start, e.len, e.block_start};
  }
  // The next pinned map bounds a hole.
  const uint64_t next_pinned = em == inode.extent_tree.end() ? ~0ull : em->first;
  btrfs_root* root = fs_info.get_fs_root(inode.root);
  if (!root) return {data_mapping::hole, offset, next_pinned - offset, 0};
  auto items = btrfs_lookup_file_extents(fs_info, *root, inode.ino, offset, ~0ull);
  if (items.empty()) return {data_mapping::hole, offset, next_pinned - offset, 0};
  const file_extent& fe = items.front();
  if (fe.key_offset > offset) return {data_mapping::hole, offset, std::min(fe.key_offset, next_pinned) - offset, 0};
  m.start = fe.key_offset;
  m.len = fe.fi.num_bytes;
  if (fe.fi.disk_bytenr == 0) {
    m.kind = data_mapping::hole;
  } else {
    m.kind = fe.fi.type == BTRFS_FILE_EXTENT_PREALLOC ? data_mapping::prealloc : data_mapping::regular;
    m.block_start = fe.fi.disk_bytenr + fe.fi.offset;
  }
  return m;
}

data_read_result btrfs_read_file_extents(btrfs_fs_info& fs_info, const btrfs_inode& inode, uint64_t pos,
                                         std::span<uint8_t> out, bool in_fiber) {
  FSRACE_MODEL_CHECK(pos % kSector == 0 && out.size() % kSector == 0, "unaligned data read {}+{}", pos, out.size());
  const uint64_t end = pos + out.size();
  for (uint64_t cur = pos; cur < end;) {  // each pass consumes a mapping of at least one sector
    if (in_fiber) sched::point(sched::L("btrfs_get_extent(ino {} off {})", inode.ino, cur));
    const data_mapping m = btrfs_get_extent(fs_info, inode, cur);
    const uint64_t seg_end = std::min(end, m.start + m.len);
    auto dst = out.subspan(cur - pos, seg_end - cur);
    if (m.kind == data_mapping::hole || m.kind == data_mapping::prealloc) {
      std::fill(dst.begin(), dst.end(), 0);
    } else {
      auto r = read_logical(fs_info, inode, cur, m.block_start + (cur - m.start), dst, in_fiber);
      if (r.err) return r;
    }
    cur = seg_end;
  }
  return {};
}

}  // namespace fsrace::model
