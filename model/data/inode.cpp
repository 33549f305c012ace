#include "model/data/inode.hpp"

#include <cerrno>

#include <fmt/format.h>

#include "model/data/csum.hpp"
#include "model/data/delalloc.hpp"
#include "model/data/dir_index.hpp"
#include "model/data/data_oracle.hpp"
#include "model/data/file_extent.hpp"
#include "model/data/inode_lock.hpp"
#include "model/data/ordered_data.hpp"
#include "model/data/page_lock.hpp"
#include "model/data/writeback.hpp"
#include "model/footprints.hpp"
#include "model/fs_info.hpp"
#include "model/transaction.hpp"
#include "model/transaction_abort.hpp"
#include "scheduler/finding.hpp"
#include "scheduler/footprint.hpp"
#include "scheduler/scheduler.hpp"

namespace fsrace::model {
namespace {

constexpr size_t BTRFS_NAME_LEN = 255;

uint64_t btrfs_name_hash(std::string_view name) {
  return crc32c(~1u, {reinterpret_cast<const uint8_t*>(name.data()), name.size()});
}

// The top directory's INODE_ITEM size counts every name twice (DIR_ITEM and DIR_INDEX).
void update_dir_size(btrfs_trans_handle& trans, btrfs_root& root, int64_t delta) {
  item_value v;
  const btrfs_key key{BTRFS_TOP_DIR_INO, BTRFS_INODE_ITEM_KEY, 0};
  if (btrfs_lookup_item(*trans.fs_info, root, key, &v) != 0) return;  // no top directory item in this tree
  auto dir = std::get<btrfs_inode_item>(v);
  dir.size = uint64_t(int64_t(dir.size) + delta);
  dir.transid = trans.transid;
  btrfs_update_item(trans, root, key, dir);
}

// The io tree loop of evict_inode_truncate_pages (6.1 inode.c:5451-5487): until the tree is empty, lock
// and clear its first state. It waits for ranges locked by tasks that hold no inode reference: the end_io
// of readahead bios unlocks its pages, then (endio_readpage_release_extent) its io tree range.
void evict_io_tree_states(btrfs_fs_info& fs_info, btrfs_inode& inode) {
  extent_io_tree& tree = inode.io_tree;
  for (int pass = 0; !tree.lock_states.empty(); pass++) {
    FSRACE_MODEL_CHECK(pass < 4096, "evict_inode_truncate_pages: ino {} io tree still has states after {} passes",
                       inode.ino, pass);
    if (fs_info.fixes.has("6ca070975671")) {
      // start and end copied under io_tree->lock.
      const uint64_t start = tree.lock_states.begin()->first, end = tree.lock_states.begin()->second.end;
      lock_extent(fs_info, inode, start, end);
      unlock_extent(inode, start, end);  // clear_extent_bit(EXTENT_CLEAR_ALL_BITS | EXTENT_DO_ACCOUNTING)
      continue;
    }
    // Before 6ca070975671: refcount_inc(&state->refs), spin_unlock, then the state's fields as they are
    // at lock_extent and again at clear_extent_bit.
    const uint64_t id = extent_state_hold_first(tree);
    const auto [lock_start, lock_end] = extent_state_fields(tree, id);
    lock_extent(fs_info, inode, lock_start, lock_end);
    const auto [clear_start, clear_end] = extent_state_fields(tree, id);
    unlock_extent(inode, clear_start, clear_end);
    free_extent_state(tree, id);
  }
}

// btrfs_evict_inode for an unlinked inode: drop its pages and delalloc, free its items and extents.
void btrfs_evict_inode(btrfs_fs_info& fs_info, btrfs_inode& inode) {
  inode.freeing = true;  // I_FREEING: from now on igrab fails (delalloc flushers skip the inode)
  sched::point(sched::L("btrfs_evict_inode(ino {})", inode.ino));
  // evict_inode_truncate_pages: wait for writeback, drop every page, forget delalloc.
  if (!inode.mapping.pages.empty()) {
    const uint64_t last = inode.mapping.pages.rbegin()->first;
    wait_on_page_writeback_range(inode, 0, last);
    lock_pages(inode, 0, last, "truncate_inode_pages_final(ino {} index {})");
    inode.mapping.pages.clear();
    inode.page_waiters.wake_all();
  }
  btrfs_clear_extent_delalloc(fs_info, inode, 0, ~0ull, true);  // EXTENT_CLEAR_ALL_BITS | EXTENT_DO_ACCOUNTING
  evict_io_tree_states(fs_info, inode);
  // Every ordered extent holds an inode reference (igrab in btrfs_add_ordered_extent), so the kernel
  // cannot evict an inode that still has one.
  FSRACE_MODEL_CHECK(inode.ordered_tree.empty(), "ino {} evicted with {} ordered extents", inode.ino,
                     inode.ordered_tree.size());
  auto trans = btrfs_start_transaction(fs_info);
  btrfs_truncate_inode_items(trans, inode, 0, 0);
  btrfs_end_transaction(trans);
  inode.evicted = true;
}

}  // namespace

btrfs_inode* btrfs_iget(btrfs_fs_info& fs_info, uint64_t root, uint64_t ino) {
  auto it = fs_info.inode_cache.find({root, ino});
  if (it == fs_info.inode_cache.end()) return nullptr;
  // Shared with the prepared state (or another clone): make this execution's own copy first.
  if (it->second.use_count() > 1) it->second = std::make_shared<btrfs_inode>(*it->second);
  return it->second.get();
}

const btrfs_inode* btrfs_iget_const(const btrfs_fs_info& fs_info, uint64_t root, uint64_t ino) {
  auto it = fs_info.inode_cache.find({root, ino});
  return it == fs_info.inode_cache.end() ? nullptr : it->second.get();
}

btrfs_root_data& btrfs_root_data_of(btrfs_fs_info& fs_info, uint64_t root) { return fs_info.data_roots[root]; }

uint64_t btrfs_lookup_name(const btrfs_fs_info& fs_info, uint64_t root, std::string_view name) {
  auto r = fs_info.data_roots.find(root);
  if (r == fs_info.data_roots.end()) return 0;
  auto it = r->second.dcache->find(name);
  return it == r->second.dcache->end() ? 0 : it->second;
}

int btrfs_create(btrfs_fs_info& fs_info, uint64_t root_objectid, std::string_view name, bool nodatacow,
                 uint64_t* ino_out, std::string_view origin) {
  if (name.empty() || name.size() > BTRFS_NAME_LEN) return -ENAMETOOLONG;
  btrfs_root* root = fs_info.get_fs_root(root_objectid);
  if (!root) return -ENOENT;
  auto& rd = btrfs_root_data_of(fs_info, root_objectid);
  sched::WriteGuard dir_lock(rd.dir_i_rwsem);  // the VFS's inode_lock(dir) around ->create
  auto trans = btrfs_start_transaction(fs_info);
  sched::point(sched::L("btrfs_create(root {} ino {})", root_objectid, rd.highest_objectid + 1));
  if (rd.dcache->count(name)) {
    btrfs_end_transaction(trans);
    return -EEXIST;
  }
  uint64_t index = 0;
  // btrfs_create_new_inode: btrfs_set_inode_index (loads index_cnt if it is (u64)-1); on failure
  // nothing was inserted yet.
  if (int err = btrfs_set_inode_index(fs_info, root_objectid, &index)) {
    btrfs_end_transaction(trans);
    return err;
  }
  const uint64_t ino = ++rd.highest_objectid;
  const std::string sname(name);

  btrfs_inode_item ii;
  ii.generation = ii.transid = trans.transid;
  ii.flags = nodatacow ? (BTRFS_INODE_NODATACOW | BTRFS_INODE_NODATASUM) : 0;
  int ret = btrfs_insert_item(trans, *root, {ino, BTRFS_INODE_ITEM_KEY, 0}, ii);
  if (!ret) ret = btrfs_insert_item(trans, *root, {ino, BTRFS_INODE_REF_KEY, BTRFS_TOP_DIR_INO}, btrfs_inode_ref{index, sname});
  btrfs_dir_item di;
  di.location = {ino, BTRFS_INODE_ITEM_KEY, 0};
  di.transid = trans.transid;
  di.name = sname;
  // A DIR_ITEM hash collision would need a multi-name item (not modelled): reported as -EEXIST.
  if (!ret) ret = btrfs_insert_item(trans, *root, {BTRFS_TOP_DIR_INO, BTRFS_DIR_ITEM_KEY, btrfs_name_hash(name)}, di);
  if (!ret) {
    ret = btrfs_insert_item(trans, *root, {BTRFS_TOP_DIR_INO, BTRFS_DIR_INDEX_KEY, index}, di);
    // btrfs_insert_delayed_dir_index refuses an index its delayed node holds (the model inserts the
    // item at once: a duplicate in the tree): btrfs_err, -EEXIST up through btrfs_add_link, and
    // btrfs_create_new_inode aborts the transaction.
    if (ret == -EEXIST) {
      fs_info.log(fmt::format("BTRFS error: error adding delayed dir index item, name: {}, index: {}, root: {}, dir: {}, "
                              "dir->index_cnt: {}, error: {}",
                              sname, index, root_objectid, BTRFS_TOP_DIR_INO, rd.dir_index, ret));
      btrfs_abort_transaction_at(trans, ret, "btrfs_create_new_inode");
    }
  }
  if (ret) {
    btrfs_end_transaction(trans);
    return ret;
  }
  update_dir_size(trans, *root, 2 * int64_t(name.size()));

  auto inode = std::make_shared<btrfs_inode>();
  inode->root = root_objectid;
  inode->ino = ino;
  inode->set_lock_instances();
  inode->address = fs_info.next_inode_address++;
  inode->generation = trans.transid;
  inode->flags = ii.flags;
  inode->name = sname;
  inode->dir_index = index;
  fs_info.inode_cache[{root_objectid, ino}] = inode;
  rd.dcache.mut().emplace(sname, ino);
  oracle_create(fs_info, *inode, oracle_note_op(fs_info, origin));
  btrfs_end_transaction(trans);
  if (ino_out) *ino_out = ino;
  return 0;
}

int btrfs_unlink(btrfs_fs_info& fs_info, uint64_t root_objectid, std::string_view name) {
  btrfs_root* root = fs_info.get_fs_root(root_objectid);
  if (!root) return -ENOENT;
  auto& rd = btrfs_root_data_of(fs_info, root_objectid);
  // do_unlinkat: the directory's i_rwsem, the lookup of the name under it, then (vfs_unlink) the
  // file's i_rwsem.
  rd.dir_i_rwsem.down_write();
  const uint64_t ino = btrfs_lookup_name(fs_info, root_objectid, name);
  if (!ino) {
    rd.dir_i_rwsem.up_write();
    return -ENOENT;
  }
  btrfs_inode& inode = *btrfs_iget(fs_info, root_objectid, ino);
  inode.i_rwsem.down_write();
  auto trans = btrfs_start_transaction(fs_info);
  sched::point(sched::L("btrfs_unlink_inode(root {} ino {})", root_objectid, ino));
  btrfs_delete_item(trans, *root, {BTRFS_TOP_DIR_INO, BTRFS_DIR_ITEM_KEY, btrfs_name_hash(name)});
  btrfs_delete_item(trans, *root, {BTRFS_TOP_DIR_INO, BTRFS_DIR_INDEX_KEY, inode.dir_index});
  btrfs_delete_item(trans, *root, {ino, BTRFS_INODE_REF_KEY, BTRFS_TOP_DIR_INO});
  update_dir_size(trans, *root, -2 * int64_t(name.size()));
  {
    auto& dcache = rd.dcache.mut();
    dcache.erase(dcache.find(name));
  }
  inode.nlink = 0;
  btrfs_update_inode(trans, inode);  // the kernel also adds an orphan item (not modelled)
  btrfs_end_transaction(trans);
  oracle_unlink(fs_info, inode);
  inode.i_rwsem.up_write();
  rd.dir_i_rwsem.up_write();
  if (inode.i_count == 0 && !inode.freeing) btrfs_evict_inode(fs_info, inode);
  return 0;
}

int btrfs_rename(btrfs_fs_info& fs_info, uint64_t root_objectid, std::string_view old_name, std::string_view new_name) {
  if (new_name.empty() || new_name.size() > BTRFS_NAME_LEN) return -ENAMETOOLONG;
  btrfs_root* root = fs_info.get_fs_root(root_objectid);
  if (!root) return -ENOENT;
  auto& rd = btrfs_root_data_of(fs_info, root_objectid);
  // lock_rename(new_dir, old_dir) of one directory: inode_lock_nested(I_MUTEX_PARENT).
  rd.dir_i_rwsem.down_write();
  const uint64_t old_ino = btrfs_lookup_name(fs_info, root_objectid, old_name);
  const uint64_t new_ino = btrfs_lookup_name(fs_info, root_objectid, new_name);
  if (!old_ino || old_ino == new_ino) {  // vfs_rename: source == target does nothing
    rd.dir_i_rwsem.up_write();
    return old_ino ? 0 : -ENOENT;
  }
  btrfs_inode& source = *btrfs_iget(fs_info, root_objectid, old_ino);
  btrfs_inode* target = new_ino ? btrfs_iget(fs_info, root_objectid, new_ino) : nullptr;
  lock_two_nondirectories(source, target);  // vfs_rename, regular files
  // btrfs_rename: replacing a file with data starts writeback of the source (filemap_flush).
  if (target && target->i_size) btrfs_fdatawrite_range(fs_info, source, 0, ~0ull);
  auto trans = btrfs_start_transaction(fs_info);
  sched::point(sched::L("btrfs_rename(ino {} over ino {})", old_ino, new_ino));
  uint64_t index = 0;
  if (int err = btrfs_set_inode_index(fs_info, root_objectid, &index)) {  // goto out_fail
    btrfs_end_transaction(trans);
    unlock_two_nondirectories(source, target);
    rd.dir_i_rwsem.up_write();
    return err;
  }
  const std::string sname(new_name);
  // btrfs_insert_inode_ref adds the new name to the inode's INODE_REF item and __btrfs_unlink_inode
  // later takes the old one out; the model's item holds one name, so it is rewritten here (the same
  // item once both are done).
  btrfs_update_item(trans, *root, {old_ino, BTRFS_INODE_REF_KEY, BTRFS_TOP_DIR_INO}, btrfs_inode_ref{index, sname});
  // __btrfs_unlink_inode of the old name, then btrfs_update_inode of the source.
  btrfs_delete_item(trans, *root, {BTRFS_TOP_DIR_INO, BTRFS_DIR_ITEM_KEY, btrfs_name_hash(old_name)});
  btrfs_delete_item(trans, *root, {BTRFS_TOP_DIR_INO, BTRFS_DIR_INDEX_KEY, source.dir_index});
  update_dir_size(trans, *root, -2 * int64_t(old_name.size()));
  {
    auto& dcache = rd.dcache.mut();
    dcache.erase(dcache.find(old_name));
  }
  btrfs_update_inode(trans, source);
  if (target) {  // btrfs_unlink_inode of the target (its orphan item is not modelled)
    btrfs_delete_item(trans, *root, {BTRFS_TOP_DIR_INO, BTRFS_DIR_ITEM_KEY, btrfs_name_hash(new_name)});
    btrfs_delete_item(trans, *root, {BTRFS_TOP_DIR_INO, BTRFS_DIR_INDEX_KEY, target->dir_index});
    btrfs_delete_item(trans, *root, {new_ino, BTRFS_INODE_REF_KEY, BTRFS_TOP_DIR_INO});
    update_dir_size(trans, *root, -2 * int64_t(new_name.size()));
    {
      auto& dcache = rd.dcache.mut();
      dcache.erase(dcache.find(new_name));
    }
    target->nlink = 0;
    btrfs_update_inode(trans, *target);
  }
  // btrfs_add_link: the new name's DIR_ITEM and DIR_INDEX.
  btrfs_dir_item di;
  di.location = {old_ino, BTRFS_INODE_ITEM_KEY, 0};
  di.transid = trans.transid;
  di.name = sname;
  int ret = btrfs_insert_item(trans, *root, {BTRFS_TOP_DIR_INO, BTRFS_DIR_ITEM_KEY, btrfs_name_hash(new_name)}, di);
  if (!ret) ret = btrfs_insert_item(trans, *root, {BTRFS_TOP_DIR_INO, BTRFS_DIR_INDEX_KEY, index}, di);
  // A DIR_ITEM hash collision would need a multi-name item (not modelled), as in btrfs_create.
  FSRACE_MODEL_CHECK(ret == 0, "btrfs_rename: adding '{}' to root {} failed: {}", sname, root_objectid, ret);
  update_dir_size(trans, *root, 2 * int64_t(new_name.size()));
  rd.dcache.mut().emplace(sname, old_ino);
  source.name = sname;
  source.dir_index = index;
  btrfs_end_transaction(trans);
  oracle_rename(fs_info, source);
  if (target) oracle_unlink(fs_info, *target);
  unlock_two_nondirectories(source, target);
  rd.dir_i_rwsem.up_write();
  // The replaced target's dentry goes: its last iput evicts it.
  if (target && target->i_count == 0 && !target->freeing) btrfs_evict_inode(fs_info, *target);
  return 0;
}

bool btrfs_igrab(btrfs_inode& inode) {
  if (inode.freeing) return false;
  inode.i_count++;
  return true;
}

sched::Footprint btrfs_iput_claim(const btrfs_inode& inode, const sched::Footprint& claim) {
  // The eviction test of btrfs_iput, nlink first: a linked inode's iput reads nothing of i_count.
  if (inode.nlink == 0 && !inode.freeing && inode.i_count == 1) return sched::Footprint{};
  return fp::inode_put(claim, inode.root, inode.ino, inode.nlink > 0);
}

void btrfs_iput(btrfs_fs_info& fs_info, btrfs_inode& inode) {
  FSRACE_MODEL_CHECK(inode.i_count > 0, "iput of ino {} without a reference", inode.ino);
  if (--inode.i_count == 0 && inode.nlink == 0 && !inode.freeing) btrfs_evict_inode(fs_info, inode);
}

int btrfs_update_inode(btrfs_trans_handle& trans, btrfs_inode& inode) {
  btrfs_root* root = trans.fs_info->get_fs_root(inode.root);
  FSRACE_MODEL_CHECK(root != nullptr, "inode {} of missing root {}", inode.ino, inode.root);
  // 6.1 copies the inode into its delayed node (btrfs_delayed_update_inode) and the last copy is what
  // the commit writes: the item takes the inode's fields when the search holds the leaf, so two updates
  // whose searches interleave cannot leave the older copy behind (the model used to copy before the
  // search: the on-disk fsck found a committed nbytes one concurrent extent behind).
  const uint64_t transid = trans.transid;
  return btrfs_update_item_at_leaf(trans, *root, {inode.ino, BTRFS_INODE_ITEM_KEY, 0}, [&inode, transid]() -> item_value {
    // Complete: the inode's core fields and nlink (life), read (the item is modify_tree's: ctree.cpp).
    sched::FootprintScope scope(sched::touching(fp::inode(inode.root, inode.ino, fp::inode_part::core), false)
                                    .reads_from(fp::inode(inode.root, inode.ino, fp::inode_part::life)));
    btrfs_inode_item ii;
    ii.generation = inode.generation;
    ii.transid = transid;
    ii.size = inode.disk_i_size;
    ii.nbytes = inode.nbytes;
    ii.nlink = inode.nlink;
    ii.flags = inode.flags;
    return ii;
  });
}

}  // namespace fsrace::model
