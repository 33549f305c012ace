// btrfs_finish_ordered_io (inode.c) and the endio write worker that runs it.
#include <cerrno>
#include <optional>

#include "model/data/dio_footprints.hpp"
#include "model/block_group.hpp"
#include "model/data/extent_io_tree.hpp"
#include "model/data/file_extent.hpp"
#include "model/data/file_item.hpp"
#include "model/data/inode.hpp"
#include "model/data/ordered_data.hpp"
#include "model/fs_info.hpp"
#include "model/transaction.hpp"
#include "model/tree_footprints.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/scheduler.hpp"
#include "model/transaction_abort.hpp"

namespace fsrace::model {
namespace {

// btrfs_inode_safe_disk_i_size_write(inode, 0) (file-item.c) with NO_HOLES, the model's only mode: the
// inode item takes the in-memory i_size at every ordered extent completion, even past ranges whose data
// has not reached the tree yet (an implicit hole). Without NO_HOLES 6.1 stops at the first gap in the
// file extent tree; before 5.8 btrfs_ordered_update_i_size went no further than this ordered extent.
void btrfs_inode_safe_disk_i_size_write(btrfs_inode& inode) { inode.disk_i_size = inode.i_size; }

// What a handle joined for btrfs_update_inode touches outside the callees' own scopes: the handle's
// reference to the running transaction (Transaction) and get_fs_root's lookup of the inode's root.
sched::Footprint update_inode_claim(const btrfs_inode& inode) {
  return sched::declared().writes_to(fp::transaction()).reads_from(fp::tree(inode.root));
}

}  // namespace

void btrfs_queue_finish_ordered_io(btrfs_fs_info& fs_info, uint64_t id) {
  sched::Scheduler* s = sched::current_scheduler();
  if (s && sched::in_fiber()) {
    // The worker's own code only calls btrfs_finish_ordered_io, which opens its scope first thing.
    s->spawn("btrfs-endio-write", [&fs_info, id] { btrfs_finish_ordered_io(fs_info, id); }, sched::declared());
  } else {
    btrfs_finish_ordered_io(fs_info, id);
  }
}

int btrfs_finish_ordered_io(btrfs_fs_info& fs_info, uint64_t id) {
  // Reads the ordered extent; then (scope below) the inode.
  sched::FootprintScope lookup(sched::touching(fp::ordered_extents(), false));
  btrfs_ordered_extent* oe = btrfs_ordered_extent_by_id(fs_info, id);
  FSRACE_MODEL_CHECK(oe && oe->test(BTRFS_ORDERED_IO_DONE), "finish of ordered extent {} before its IO", id);
  // The inode's core (i_size read and disk_i_size written), life (btrfs_iget finds the cache entry) and
  // mapping (the io tree: lock_extent; its waiters are a primitive), not its ordered tree or dio state;
  // the ordered extent (its flags, its references: btrfs_put_ordered_extent). The error path opens a
  // wider scope of its own; btrfs_remove_ordered_extent has its own scope; so does the transaction part
  // (join, tree updates, csums, extent map, end); and the iput of the ordered extent's reference
  // (btrfs_iput_claim: undeclared when it evicts).
  sched::Footprint claim = sched::declared()
                               .writes_to(fp::inode(oe->root, oe->ino, fp::inode_part::core))
                               .reads_from(fp::inode(oe->root, oe->ino, fp::inode_part::life))
                               .writes_to(fp::inode(oe->root, oe->ino, fp::inode_part::mapping))
                               .writes_to(fp::ordered_extents());
  sched::FootprintScope scope(claim);
  btrfs_inode& inode = *btrfs_iget(fs_info, oe->root, oe->ino);
  sched::point(sched::L("btrfs_finish_ordered_io(ino {} off {})", inode.ino, oe->file_offset));
  const uint64_t fo = oe->file_offset, end = oe->end();
  const bool nocow = oe->test(BTRFS_ORDERED_NOCOW), prealloc = oe->test(BTRFS_ORDERED_PREALLOC);
  int ret = 0;
  if (oe->test(BTRFS_ORDERED_IOERR)) {
    // The whole inode (the extent map tree too) and the ordered extent, the log line,
    // btrfs_free_reserved_extent (the block group and the space_info).
    sched::Footprint err_claim = fp::whole_inode(sched::Footprint(claim), inode.root, inode.ino);
    err_claim.writes_to(fp::dmesg()).writes_to(fp::space_info()).touch_kind(sched::ObjectKind::BlockGroup);
    sched::FootprintScope err_scope(err_claim);
    ret = -EIO;
    fs_info.log(fmt::format("BTRFS error: write of ino {} [{}, {}) at logical {} failed", inode.ino, fo, end, oe->start));
    inode.extent_tree.erase(fo);
    if (!nocow && !prealloc) btrfs_free_reserved_extent(fs_info, oe->start, oe->disk_len);
  } else if (nocow) {
    btrfs_inode_safe_disk_i_size_write(inode);
    // The transaction and the inode item. Complete: the handle (its reference to the running
    // transaction: Transaction) and btrfs_update_inode's get_fs_root (the fs tree's root, read);
    // start_transaction, modify_tree, btrfs_update_inode's value and btrfs_end_transaction open their
    // own scopes (btrfs_end_transaction an undeclared one if the handle made block groups).
    sched::FootprintScope update(update_inode_claim(inode));
    auto trans = btrfs_join_transaction(fs_info);
    ret = btrfs_update_inode(trans, inode);
    btrfs_end_transaction(trans);
  } else {
    lock_extent(fs_info, inode, fo, end);
    // The transaction, file extent items, csums and the inode item. Complete: update_inode_claim; the
    // ordered extent (its lookup, its sums: read); the inode's core (nbytes: insert_reserved_file_extent,
    // btrfs_update_inode_bytes; disk_i_size) and mapping (the extent map dropped, unlock_extent's io tree
    // and its waiters, woken: a wait list, no primitive); the file extent lookups of drop_extents_locked
    // and mark_written_locked (btrfs_for_each_item, fs_root_of: cached blocks, tree_read_claim;
    // read_tree_block opens its own scope for a miss). items_lock is a primitive; modify_tree, the
    // delayed refs (add_ref), btrfs_csum_file_blocks and the transaction calls open their own scopes; an
    // abort only ends the execution (FSRACE_ABORT_TRANSACTION_IF without fs_info: no log line).
    sched::Footprint cow_claim = update_inode_claim(inode);
    cow_claim |= tree_read_claim();
    cow_claim.reads_from(fp::ordered_extents())
        .writes_to(fp::inode(inode.root, inode.ino, fp::inode_part::core))
        .writes_to(fp::inode(inode.root, inode.ino, fp::inode_part::mapping));
    sched::FootprintScope update(cow_claim);
    auto trans = btrfs_join_transaction(fs_info);
    oe = btrfs_ordered_extent_by_id(fs_info, id);
    if (prealloc)
      ret = btrfs_mark_extent_written(trans, inode, fo, end);
    else
      ret = insert_reserved_file_extent(trans, inode, fo, oe->start, oe->disk_len, oe->len, BTRFS_FILE_EXTENT_REG);
    inode.extent_tree.erase(fo);  // unpin_extent_cache: the file extent item describes it now
    for (const auto& sums : oe->sums)  // add_pending_csums
      if (!ret) ret = btrfs_csum_file_blocks(trans, sums);
    btrfs_inode_safe_disk_i_size_write(inode);
    if (!ret) ret = btrfs_update_inode(trans, inode);
    unlock_extent(inode, fo, end);
    btrfs_end_transaction(trans);
    FSRACE_ABORT_TRANSACTION_IF(ret != 0, ret, "btrfs_finish_ordered_io ino {} off {}: {}", inode.ino, fo, ret);
  }
  btrfs_remove_ordered_extent(fs_info, inode, id);
  btrfs_put_ordered_extent(fs_info, id);  // once for us
  btrfs_put_ordered_extent(fs_info, id);  // once for the tree
  sched::FootprintScope put(btrfs_iput_claim(inode, claim));
  btrfs_iput(fs_info, inode);  // the ordered extent's inode reference
  return ret;
}

}  // namespace fsrace::model
