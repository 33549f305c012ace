#include "model/data/file_item.hpp"

#include <fmt/format.h>

#include "model/data/csum.hpp"
#include "model/fs_info.hpp"
#include "model/tree_footprints.hpp"
#include "model/transaction.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

constexpr uint64_t kSector = SECTORSIZE;

struct csum_item_ref {
  uint64_t start = 0;
  std::vector<uint32_t> csums;
  uint64_t end() const { return start + csums.size() * kSector; }
};

// Csum items overlapping [start, end), in order.
std::vector<csum_item_ref> csum_items_in(btrfs_fs_info& fs_info, uint64_t start, uint64_t end) {
  // Complete: reads the csum tree's current root and cached blocks (tree_read_claim; misses: read_tree_block's scope).
  sched::FootprintScope scope(tree_read_claim());
  std::vector<csum_item_ref> out;
  const uint64_t span = uint64_t(MAX_CSUMS_PER_ITEM) * kSector;
  const uint64_t from = start >= span ? start - span + kSector : 0;
  btrfs_for_each_item(fs_info, fs_info.csum_root(), {BTRFS_EXTENT_CSUM_OBJECTID, BTRFS_EXTENT_CSUM_KEY, from},
                      [&](const btrfs_item& item) {
                        if (item.key.objectid != BTRFS_EXTENT_CSUM_OBJECTID || item.key.type != BTRFS_EXTENT_CSUM_KEY ||
                            item.key.offset >= end)
                          return false;
                        const auto& ci = std::get<btrfs_csum_item>(item.value);
                        csum_item_ref r{item.key.offset, ci.csums};
                        if (r.end() > start) out.push_back(std::move(r));
                        return true;
                      });
  return out;
}

int insert_csums(btrfs_trans_handle& trans, uint64_t bytenr, const uint32_t* sums, size_t n) {
  auto& csum_root = trans.fs_info->csum_root();
  for (size_t done = 0; done < n;) {
    const size_t take = std::min<size_t>(n - done, MAX_CSUMS_PER_ITEM);
    btrfs_csum_item item;
    item.csums.assign(sums + done, sums + done + take);
    const int ret = btrfs_insert_item(trans, csum_root,
                                      {BTRFS_EXTENT_CSUM_OBJECTID, BTRFS_EXTENT_CSUM_KEY, bytenr + done * kSector},
                                      std::move(item));
    if (ret) return ret;
    done += take;
  }
  return 0;
}

int del_csums_locked(btrfs_trans_handle& trans, uint64_t bytenr, uint64_t len) {
  const uint64_t end = bytenr + len;
  auto& csum_root = trans.fs_info->csum_root();
  // Readers of sectors outside the range do not wait for us: the kept tail is inserted before the
  // old item shrinks or goes, so their checksums never disappear (two items may overlap for a moment).
  for (const auto& item : csum_items_in(*trans.fs_info, bytenr, end)) {
    const btrfs_key key{BTRFS_EXTENT_CSUM_OBJECTID, BTRFS_EXTENT_CSUM_KEY, item.start};
    if (item.end() > end) {
      const size_t skip = (end - item.start) / kSector;
      if (int ret = insert_csums(trans, end, item.csums.data() + skip, item.csums.size() - skip)) return ret;
    }
    int ret;
    if (item.start < bytenr) {
      btrfs_csum_item head;
      head.csums.assign(item.csums.begin(), item.csums.begin() + (bytenr - item.start) / kSector);
      ret = btrfs_update_item(trans, csum_root, key, std::move(head));
    } else {
      ret = btrfs_delete_item(trans, csum_root, key);
    }
    if (ret) return ret;
  }
  return 0;
}

}  // namespace

btrfs_ordered_sum btrfs_csum_one_bio(uint64_t bytenr, std::span<const uint8_t> data) {
  btrfs_ordered_sum sum;
  sum.bytenr = bytenr;
  for (size_t off = 0; off + kSector <= data.size(); off += kSector)
    sum.sums.push_back(btrfs_csum_sector(data.subspan(off, kSector)));
  return sum;
}

int btrfs_csum_file_blocks(btrfs_trans_handle& trans, const btrfs_ordered_sum& sums) {
  if (sums.sums.empty()) return 0;
  // Complete: csum tree reads and modifications (tree_write_claim covers modify_tree's); the kernel log
  // message runs undeclared.
  sched::FootprintScope scope(tree_write_claim());
  const uint64_t end = sums.bytenr + sums.sums.size() * kSector;
  if (csum_exist_in_range(*trans.fs_info, sums.bytenr, end - sums.bytenr)) {
    {
      sched::FootprintScope undeclared(sched::Footprint{});  // the kernel log: no object names it
      trans.fs_info->log(fmt::format("BTRFS warning: stale data checksums in [{}, {}) replaced", sums.bytenr, end));
    }
    if (int ret = btrfs_del_csums(trans, sums.bytenr, end - sums.bytenr)) return ret;
  }
  return insert_csums(trans, sums.bytenr, sums.sums.data(), sums.sums.size());
}

int btrfs_del_csums(btrfs_trans_handle& trans, uint64_t bytenr, uint64_t len) {
  // Complete: csum tree reads and modifications (tree_write_claim); csum_edit_lock is its own object.
  sched::FootprintScope scope(tree_write_claim());
  // An edit takes several tree operations here (one leaf-locked edit in the kernel): edits that may
  // touch the same item are serialised, and the items are looked up under that lock.
  btrfs_fs_info& fs_info = *trans.fs_info;
  fs_info.csum_edit_lock.lock();
  const int ret = del_csums_locked(trans, bytenr, len);
  fs_info.csum_edit_lock.unlock();
  return ret;
}

std::map<uint64_t, uint32_t> btrfs_lookup_csums_range(btrfs_fs_info& fs_info, uint64_t start, uint64_t end) {
  std::map<uint64_t, uint32_t> out;
  for (const auto& item : csum_items_in(fs_info, start, end))
    for (size_t i = 0; i < item.csums.size(); i++) {
      const uint64_t at = item.start + i * kSector;
      if (at >= start && at < end) out[at] = item.csums[i];
    }
  return out;
}

bool csum_exist_in_range(btrfs_fs_info& fs_info, uint64_t bytenr, uint64_t len) {
  return !csum_items_in(fs_info, bytenr, bytenr + len).empty();
}

}  // namespace fsrace::model
