// Data extent relocation (relocation.c relocate_data_extent / relocate_file_extent_cluster /
// get_new_location / replace_file_extents, inode.c btrfs_reloc_clone_csums). The data reloc inode of
// the kernel (an inode of the data reloc tree whose file offset is the old bytenr minus the group
// start) is kept in memory by the model: rc.data_extents maps each old extent to the prealloc extent
// that received its copy and the pages read from the old location.
#include <algorithm>
#include <cerrno>
#include <memory>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "model/backref.hpp"
#include "model/bio.hpp"
#include "model/block_group.hpp"
#include "model/data/btrfs_inode.hpp"
#include "model/data/delalloc_space.hpp"
#include "model/data/file_extent.hpp"
#include "model/data/file_item.hpp"
#include "model/data/inode.hpp"
#include "model/data/extent_io_tree.hpp"
#include "model/delayed_ref.hpp"
#include "model/fs_info.hpp"
#include "model/maint/balance.hpp"
#include "model/maint/relocation_internal.hpp"
#include "model/transaction.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"
#include "model/transaction_abort.hpp"

namespace fsrace::model {
namespace {

using sched::FootprintScope;

constexpr size_t MAX_EXTENTS = 128;  // extents per cluster (relocation.c)

// try_lock_extent: the range is taken only if no part of it is locked (no sleeping). Relocation
// skips a file extent whose range a writer holds; a later pass finds the extent again.
bool try_lock_extent(btrfs_inode& inode, uint64_t start, uint64_t end) {
  if (inode.io_tree.locked.intersects(start, end)) return false;
  set_extent_locked(inode.io_tree, start, end);
  return true;
}

// btrfs_reloc_clone_csums: the old location's checksums, for the same sectors at the new location.
void reloc_clone_csums(btrfs_fs_info& fs_info, uint64_t old_bytenr, uint64_t new_bytenr, uint64_t len) {
  const auto csums = btrfs_lookup_csums_range(fs_info, old_bytenr, old_bytenr + len);
  if (csums.empty()) return;
  std::vector<btrfs_ordered_sum> runs;
  for (const auto& [sector, csum] : csums) {
    const uint64_t at = new_bytenr + (sector - old_bytenr);
    if (runs.empty() || runs.back().bytenr + runs.back().sums.size() * fs_info.sectorsize != at)
      runs.push_back(btrfs_ordered_sum{at, {}});
    runs.back().sums.push_back(csum);
  }
  auto trans = btrfs_join_transaction(fs_info);
  for (const auto& run : runs) {
    const int ret = btrfs_csum_file_blocks(trans, run);
    FSRACE_ABORT_TRANSACTION_IF(ret != 0, ret, "relocation: cloning checksums to {} failed: {}", run.bytenr, ret);
  }
  btrfs_end_transaction(trans);
}

}  // namespace

int relocate_data_extent(btrfs_fs_info& fs_info, reloc_control& rc, uint64_t bytenr, uint64_t num_bytes) {
  file_extent_cluster& cluster = rc.cluster;
  if (!cluster.boundary.empty() && bytenr != cluster.end + 1) {
    if (int ret = relocate_file_extent_cluster(fs_info, rc)) return ret;
  }
  if (cluster.boundary.empty()) cluster.start = bytenr;
  cluster.end = bytenr + num_bytes - 1;
  cluster.boundary.push_back(bytenr);
  rc.data_extents[bytenr].num_bytes = num_bytes;
  if (cluster.boundary.size() >= MAX_EXTENTS) return relocate_file_extent_cluster(fs_info, rc);
  return 0;
}

int relocate_file_extent_cluster(btrfs_fs_info& fs_info, reloc_control& rc) {
  // Own code: the cluster and rc.data_extents (Relocation), the data reloc inode's pages (its Inode);
  // the prealloc and the reads open their own scopes below.
  FootprintScope scope(sched::declared().writes_to(fp::relocation()).writes_to(fp::data_reloc_inode()));
  file_extent_cluster cluster = std::move(rc.cluster);
  rc.cluster = {};
  if (cluster.boundary.empty()) return 0;
  sched::point(sched::L("relocate_file_extent_cluster({}, {} extents)", cluster.start, cluster.boundary.size()));
  // The data space reservation (btrfs_alloc_data_chunk_ondemand: btrfs_reserve_data_bytes with flush_data,
  // its own scope, the flush's too); here only rc.data_extents is read. The extent reservations below have
  // a scope of their own.
  std::optional<FootprintScope> prealloc;
  prealloc.emplace(sched::touching(fp::relocation(), false));
  // prealloc_file_extent_cluster: one data reservation for the cluster (btrfs_alloc_data_chunk_ondemand),
  // then one prealloc extent per old extent, outside the read-only group; what was not preallocated is
  // given back (btrfs_free_reserved_data_space_noquota).
  uint64_t to_prealloc = 0;
  for (uint64_t bytenr : cluster.boundary)
    if (!rc.data_extents.at(bytenr).new_bytenr) to_prealloc += rc.data_extents.at(bytenr).num_bytes;
  if (to_prealloc) {
    if (int ret = btrfs_alloc_data_chunk_ondemand(fs_info, to_prealloc)) return ret;
  }
  // The prealloc extents: rc.data_extents and the group's range (Relocation), the reservation given back
  // on failure (btrfs_free_reserved_data_space_noquota: the data space_info's bytes_may_use, its WARN
  // ends the execution); btrfs_reserve_extent opens its own scope (its chunk allocation an undeclared one).
  prealloc.emplace(sched::declared().writes_to(fp::relocation()).writes_to(fp::space_info()));
  for (uint64_t bytenr : cluster.boundary) {
    reloc_data_extent& de = rc.data_extents.at(bytenr);
    if (de.new_bytenr) continue;
    btrfs_key_ins ins;
    const int ret = btrfs_reserve_extent(fs_info, BTRFS_BLOCK_GROUP_DATA, de.num_bytes, ins, false);
    if (ret) {
      btrfs_free_reserved_data_space_noquota(fs_info, to_prealloc);
      return ret;
    }
    to_prealloc -= de.num_bytes;
    FSRACE_MODEL_CHECK(!reloc_in_group(rc, ins.objectid), "relocation: new extent {} inside the read-only group {}",
                  ins.objectid, rc.block_group);
    de.new_bytenr = ins.objectid;
  }
  prealloc.reset();
  // The pages of the reloc inode are read from the old location, then marked delalloc and dirty.
  // btrfs_read_sync (bio.cpp): btrfs_submit_bio maps the bio (reloc_fp::map_block), spawns the endio
  // fiber, which reads the device contents in its own step, and waits on the bio's completion (a
  // primitive); then rc.data_extents, the reloc inode's pages, the error message, the cancel requests
  // (Balance, Relocation); statistics only ever incremented (read after the execution: commute).
  sched::Footprint read_claim = sched::declared()
                                   .writes_to(fp::relocation())
                                   .writes_to(fp::data_reloc_inode())
                                   .reads_from(fp::balance())
                                   .writes_to(reloc_fp::kernel_log());
  FootprintScope read(reloc_fp::map_block(read_claim));
  for (uint64_t bytenr : cluster.boundary) {
    reloc_data_extent& de = rc.data_extents.at(bytenr);
    std::vector<uint8_t> buf;
    if (btrfs_read_sync(fs_info, bytenr, de.num_bytes, 0, buf) != 0) {
      fs_info.log(fmt::format("BTRFS error: relocation: reading data extent {} len {} failed", bytenr, de.num_bytes));
      return -EIO;
    }
    de.pages = std::make_shared<const std::vector<uint8_t>>(std::move(buf));
    fs_info.reloc_stats.data_extents_moved++;
    // relocate_one_page checks after every page; the model reads an extent in one piece.
    if (btrfs_should_cancel_balance(fs_info)) return -ECANCELED;
  }
  return 0;
}

int reloc_inode_wait_ordered_range(btrfs_fs_info& fs_info, reloc_control& rc) {
  sched::point(sched::L("btrfs_wait_ordered_range(data reloc inode {})", rc.data_inode));
  // The reloc inode's pages (its Inode) and rc.data_extents, written with btrfs_write_sync (mapping as in
  // relocate_file_extent_cluster, the device write in the endio fiber), then the checksums cloned into
  // the csum tree under a joined transaction (tree modification): wide, plus the reloc inode.
  sched::Footprint claim = reloc_fp::wide();
  FootprintScope scope(claim.writes_to(fp::data_reloc_inode()));
  for (auto& [old_bytenr, de] : rc.data_extents) {
    if (de.written || !de.pages) continue;
    // Writeback into the prealloc extent (nocow), then btrfs_finish_ordered_io of the reloc inode.
    if (btrfs_write_sync(fs_info, de.new_bytenr, std::make_shared<std::vector<uint8_t>>(*de.pages)) != 0) {
      fs_info.log(fmt::format("BTRFS error: relocation: writing data extent {} to {} failed", old_bytenr, de.new_bytenr));
      return -EIO;
    }
    reloc_clone_csums(fs_info, old_bytenr, de.new_bytenr, de.num_bytes);
    de.pages.reset();  // invalidate_mapping_pages
    de.written = true;
  }
  return 0;
}

replace_result replace_file_extents(btrfs_trans_handle& trans, reloc_control& rc, uint64_t bytenr,
                                    const btrfs_extent_item& ei, locked_file_range* busy) {
  btrfs_fs_info& fs_info = *trans.fs_info;
  // rc.data_extents (Relocation); btrfs_data_ref_owners (backref.cpp: extent tree and shared leaves
  // read), get_fs_root, the abort: wide (no inode or oracle state). Each file's part opens its scope below.
  FootprintScope scope(reloc_fp::wide());
  // get_new_location: only extents moved by MOVE_DATA_EXTENTS have one (the reloc inode's file extent
  // at bytenr - group start).
  auto found = rc.data_extents.find(bytenr);
  reloc_data_extent* de = found != rc.data_extents.end() && found->second.written ? &found->second : nullptr;
  bool referenced = false;
  // Every file extent item pointing at it, those reached through shared (full) back references too.
  for (const data_ref_owner& ref : btrfs_data_ref_owners(fs_info, bytenr, ei, true)) {
    btrfs_root* root = fs_info.get_fs_root(ref.root);
    if (!root) continue;
    sched::point(sched::L("replace_file_extents(root {} ino {})", ref.root, ref.ino));
    // The file's part: btrfs_iget (its slot of the inode cache: the inode's life, read), try_lock_extent /
    // unlock_extent on its io tree (the inode's mapping; its waiters' queue is a primitive), items_lock (a
    // primitive), the fs tree's file extent items read and updated (btrfs_lookup_file_extents,
    // btrfs_lookup_item, btrfs_update_item: tree COW, block allocation), delayed data refs, the abort:
    // wide, plus those two parts of the inode (not its ordered extents or direct IO state).
    sched::Footprint file_claim = reloc_fp::wide();
    file_claim.reads_from(fp::inode(ref.root, ref.ino, fp::inode_part::life))
        .writes_to(fp::inode(ref.root, ref.ino, fp::inode_part::mapping));
    FootprintScope file(file_claim);
    btrfs_inode* inode = btrfs_iget(fs_info, ref.root, ref.ino);
    for (const file_extent& fe : btrfs_lookup_file_extents(fs_info, *root, ref.ino, 0, ~0ull)) {
      if (fe.fi.type == BTRFS_FILE_EXTENT_INLINE || fe.fi.disk_bytenr != bytenr || fe.ref_offset() != ref.offset)
        continue;
      referenced = true;
      // 6.1 repoints the item while COWing its leaf in the root's reloc tree (btrfs_reloc_cow_block ->
      // replace_file_extents, no inode range lock there): get_new_location fails with -ENOENT for an
      // extent MOVE_DATA_EXTENTS never copied, replace_file_extents returns it and __btrfs_cow_block
      // aborts the transaction.
      if (!de)
        btrfs_abort_transaction_at(&fs_info, -ENOENT, "__btrfs_cow_block",
                                   fmt::format("btrfs_reloc_cow_block: replace_file_extents: get_new_location found "
                                               "no new location for data extent {} of block group {} (root {} ino {} "
                                               "file offset {}), transid {}",
                                               bytenr, rc.block_group, ref.root, ref.ino, fe.key_offset, trans.transid));
      if (inode && !try_lock_extent(*inode, fe.key_offset, fe.end())) {
        *busy = locked_file_range{ref.root, ref.ino, fe.key_offset, fe.end()};
        return replace_result::range_locked;
      }
      // The file extent item is rewritten under the leaf lock (inode->items_lock stands for it), after
      // reading it again: nothing else edits it meanwhile.
      const btrfs_key key{ref.ino, BTRFS_EXTENT_DATA_KEY, fe.key_offset};
      if (inode) inode->items_lock.lock();
      item_value v;
      int ret = btrfs_lookup_item(fs_info, *root, key, &v);
      btrfs_file_extent_item fi;
      if (ret == 0) {
        fi = std::get<btrfs_file_extent_item>(v);
        if (fi.disk_bytenr != bytenr || key.offset - fi.offset != ref.offset) ret = -EAGAIN;
      }
      if (ret == 0) {
        fi.disk_bytenr = de->new_bytenr;
        ret = btrfs_update_item(trans, *root, key, fi);
      }
      if (inode) inode->items_lock.unlock();
      if (ret == 0) {
        FSRACE_MODEL_CHECK(de->reloc_ref, "replace_file_extents: new extent {} without the reloc inode's reference",
                           de->new_bytenr);
        btrfs_add_delayed_data_ref(trans, de->new_bytenr, de->num_bytes, ref.root, ref.ino, ref.offset, 0, +1, false);
        btrfs_add_delayed_data_ref(trans, bytenr, fi.disk_num_bytes, ref.root, ref.ino, ref.offset, 0, -1, false);
        fs_info.reloc_stats.file_extents_updated++;
      }
      if (inode) unlock_extent(*inode, fe.key_offset, fe.end());
    }
  }
  return de || referenced ? replace_result::replaced : replace_result::unreferenced;
}

void wait_file_range_unlocked(btrfs_fs_info& fs_info, const locked_file_range& range) {
  // btrfs_iget (the inode cache's slot of this inode), lock_extent (wait_until on the io tree's waiters)
  // and unlock_extent on its io tree: the inode's state only.
  FootprintScope scope(fp::whole_inode(sched::declared(), range.root, range.ino));
  btrfs_inode* inode = btrfs_iget(fs_info, range.root, range.ino);
  if (!inode) return;
  lock_extent(fs_info, *inode, range.start, range.end);
  unlock_extent(*inode, range.start, range.end);
}

void reloc_add_data_inode_refs(btrfs_trans_handle& trans, reloc_control& rc) {
  for (auto& [old_bytenr, de] : rc.data_extents) {
    if (!de.new_bytenr || de.reloc_ref) continue;
    btrfs_add_delayed_data_ref(trans, de.new_bytenr, de.num_bytes, BTRFS_DATA_RELOC_TREE_OBJECTID, rc.data_inode,
                               old_bytenr - rc.block_group, 0, +1, true);
    de.reloc_ref = true;
  }
}

void reloc_release_data_inode(btrfs_fs_info& fs_info, reloc_control& rc) {
  // iput(rc->data_inode): the orphan reloc inode is evicted, btrfs_truncate_inode_items drops its
  // references (the extent goes with the last one, its checksums with it).
  const bool any_ref = std::any_of(rc.data_extents.begin(), rc.data_extents.end(),
                                   [](const auto& e) { return e.second.reloc_ref; });
  if (any_ref) {
    auto trans = btrfs_join_transaction(fs_info);
    for (auto& [old_bytenr, de] : rc.data_extents)
      if (de.reloc_ref)
        btrfs_add_delayed_data_ref(trans, de.new_bytenr, de.num_bytes, BTRFS_DATA_RELOC_TREE_OBJECTID, rc.data_inode,
                                   old_bytenr - rc.block_group, 0, -1, false);
    btrfs_end_transaction(trans);
  }
  // Reserved by a pass that failed before its extents were inserted: given back.
  for (auto& [old_bytenr, de] : rc.data_extents)
    if (de.new_bytenr && !de.reloc_ref) btrfs_free_reserved_extent(fs_info, de.new_bytenr, de.num_bytes);
  rc.data_extents.clear();
}

}  // namespace fsrace::model
